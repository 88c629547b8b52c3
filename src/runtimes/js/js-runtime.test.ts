import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import type { CodeRuntimeSettings } from '../python/code-settings.ts';
import { createJsRuntime } from './runtime.ts';

const square = { path: path.resolve(import.meta.dirname, '../../../test/fixtures/js/square/1'), files: ['model.ts'] };
const settings: CodeRuntimeSettings = {
  allowCode: true,
  python: '/usr/bin/python3',
  supervision: { loadTimeoutMs: 60_000, requestTimeoutMs: 30_000, pingIntervalMs: 0, pingTimeoutMs: 5000, maxRestarts: 2, restartBackoffMs: 20 },
};

runRuntimeConformance({
  runtime: () => createJsRuntime(settings),
  loadable: square,
  foreign: { path: '/nonexistent', files: ['model.py'] },
  sample: { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1, -2, 3, 0.5]) }] },
  // By hand from the fixture: each element squared, each row summed.
  reference: { y: [1, 4, 9, 0.25], sum: [-1, 3.5] },
});

describe('js runtime', () => {
  it('answers 504 for a predict past the request timeout, ending its thread, and serves on a replacement', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-js-'));
    await writeFile(path.join(dir, 'model.mjs'), `export default {
  signature: { inputs: [{ name: 'ms', datatype: 'INT32', shape: [1] }], outputs: [{ name: 'ms', datatype: 'INT32', shape: [1] }] },
  predict({ ms }) { const until = Date.now() + ms.data[0]; while (Date.now() < until); return { ms: { data: ms.data } }; },
};`);
    const instance = await createJsRuntime({ ...settings, supervision: { ...settings.supervision, requestTimeoutMs: 1000 } })
      .load({ name: 'spin', version: '1', dir: { path: dir, files: ['model.mjs'] }, options: {} }, silentContext);
    const spin = (ms: number) => instance.execute([{ inputs: [{ name: 'ms', datatype: 'INT32', shape: [1], data: Int32Array.from([ms]) }] }], new AbortController().signal);
    try {
      await expect(spin(60_000)).rejects.toMatchObject({ code: 'FERRY_ERR_WORKER_TIMEOUT', http: 504 });
      const [ok] = await spin(1);
      expect(Array.from(ok!.outputs[0]!.data as Int32Array)).toEqual([1]);
    } finally {
      await instance.unload();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
