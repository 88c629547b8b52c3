import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRuntimes } from '../builtin.ts';
import type { CodeRuntimeSettings } from '../python/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import type { Runtime } from '../runtime.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../../test/fixtures/mlflow/linear/1');
const FILES = ['MLmodel', 'code/linear_loader.py', 'data/weights.json', 'input_example.json'];
const linear = { path: FIXTURE, files: FILES };
const code: CodeRuntimeSettings = {
  allowCode: true,
  python: '/usr/bin/python3',
  supervision: { loadTimeoutMs: 60_000, requestTimeoutMs: 30_000, pingIntervalMs: 0, pingTimeoutMs: 5000, maxRestarts: 3, restartBackoffMs: 50 },
};
/** The MLflow runtime as Ferry builds it: first in detection order, with the native runtimes for its data flavors. */
const mlflowRuntime = (): Runtime => builtinRuntimes({ code }).find((runtime) => runtime.name === 'mlflow')!;
const column = (name: string, data: number[]) => ({ name, datatype: 'FP64' as const, shape: [data.length], data: Float64Array.from(data) });

runRuntimeConformance({
  runtime: mlflowRuntime,
  loadable: linear,
  foreign: { path: '/nonexistent', files: ['model.py'] },
  sample: { inputs: [column('a', [1, 3, 0.25]), column('b', [2, -4, 8])] },
  // By hand from the loader module and data/weights.json: predictions = 2 a - 0.5 b.
  reference: { predictions: [1, 8, -3.5] },
});

describe('mlflow runtime: input_example', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'ferry-mlflow-runtime-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('shows the saved input_example in the signature as a V2 request body, columns in signature order', async () => {
    const instance = await mlflowRuntime().load({ name: 'linear', version: '1', dir: linear, options: {} }, silentContext);
    try {
      // input_example.json lists b before a; the request follows the signature.
      expect(instance.signature.inputExample).toEqual({
        inputs: [{ name: 'a', datatype: 'FP64', shape: [2], data: [1, 3.5] }, { name: 'b', datatype: 'FP64', shape: [2], data: [2, -4] }],
      });
      const [result] = await instance.execute([{ inputs: [column('a', [1, 3.5]), column('b', [2, -4])] }], new AbortController().signal);
      expect(Array.from(result!.outputs[0]!.data as Float64Array)).toEqual([1, 9]);
    } finally {
      await instance.unload();
    }
  });

  it('runs the example at load: a model that fails on its own example does not load; one without an example loads without one', async () => {
    const failing = path.join(scratch, 'failing');
    await cp(FIXTURE, failing, { recursive: true });
    await writeFile(path.join(failing, 'input_example.json'), JSON.stringify({ columns: ['a', 'b'], data: [[-1, 0]] }));
    await expect(mlflowRuntime().load({ name: 'linear', version: '1', dir: { path: failing, files: FILES }, options: {} }, silentContext))
      .rejects.toThrow("failed to load model 'linear': the input_example failed: model 'linear' failed to execute: ValueError: a must not be negative");

    const missingColumn = path.join(scratch, 'missing');
    await cp(FIXTURE, missingColumn, { recursive: true });
    await writeFile(path.join(missingColumn, 'input_example.json'), JSON.stringify({ columns: ['a'], data: [[1]] }));
    await expect(mlflowRuntime().load({ name: 'linear', version: '1', dir: { path: missingColumn, files: FILES }, options: {} }, silentContext))
      .rejects.toThrow("input_example has no column 'b'");

    const without = await mlflowRuntime().load({ name: 'linear', version: '1', dir: { path: FIXTURE, files: FILES.filter((f) => f !== 'input_example.json') }, options: {} }, silentContext);
    expect(without.signature.inputExample).toBeUndefined();
    await without.unload();
  });
});
