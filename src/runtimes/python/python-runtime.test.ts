import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import type { RuntimeLogger } from '../runtime.ts';
import type { CodeRuntimeSettings } from './code-settings.ts';
import { createPythonRuntime } from './runtime.ts';

const affine = { path: path.resolve(import.meta.dirname, '../../../test/fixtures/python/affine/1'), files: ['model.py'] };
const encoder = new TextEncoder();
const text = (values: readonly string[]) => values.map((v) => encoder.encode(v));
const settings: CodeRuntimeSettings = {
  allowCode: true,
  python: '/usr/bin/python3',
  supervision: { loadTimeoutMs: 60_000, requestTimeoutMs: 30_000, pingIntervalMs: 0, pingTimeoutMs: 5000, maxRestarts: 3, restartBackoffMs: 50 },
};
const sample = {
  inputs: [
    { name: 'x', datatype: 'FP64', shape: [2, 3], data: Float64Array.from([1, 2, 3.5, -4, 0.25, 9]) },
    { name: 'names', datatype: 'BYTES', shape: [2], data: text(['ada', 'grace']) },
  ] satisfies Tensor[],
};

runRuntimeConformance({
  runtime: () => createPythonRuntime(settings),
  loadable: affine,
  foreign: { path: '/nonexistent', files: ['model.onnx'] },
  sample,
  // By hand from model.py: y = 2x + 1, the names upper-cased, each row's sum rounded down.
  reference: { y: [3, 5, 8, -7, 1.5, 19], label: ['ADA', 'GRACE'], total: [6n, 5n] },
});

/** A logger that keeps every line, to check what the worker's output became. */
function recordingLogger(): RuntimeLogger & { lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('python runtime', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'ferry-python-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function modelDir(name: string, source: string): Promise<{ path: string; files: string[] }> {
    const dir = path.join(scratch, name, '1');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(path.join(dir, 'model.py'), source);
    return { path: dir, files: ['model.py'] };
  }

  it('refuses model.py unless code is allowed, naming the setting', async () => {
    const runtime = createPythonRuntime({ ...settings, allowCode: false });
    await expect(runtime.load({ name: 'affine', version: '1', dir: affine, options: {} }, silentContext)).rejects.toThrow(/--allow-code \(runtime\.allow_code: true\)/);
  });

  it('moves tensors through the worker as raw bytes: floats exactly, text and 64-bit integers', async () => {
    const logger = recordingLogger();
    const instance = await createPythonRuntime(settings).load({ name: 'affine', version: '7', dir: affine, options: {} }, { ...silentContext, logger });
    try {
      const x = Float64Array.from([0.1, 1e-300, -Number.MAX_VALUE / 4, Number.NaN, Infinity, 3]);
      const [result] = await instance.execute([{ inputs: [{ ...sample.inputs[0]!, data: x }, { ...sample.inputs[1]!, data: text(['é', '']) }] }], new AbortController().signal);
      const [y, label, total] = result!.outputs;
      expect(Array.from(y!.data as Float64Array)).toEqual(Array.from(x, (v) => v * 2 + 1));
      expect(y!.shape).toEqual([2, 3]);
      expect((label!.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['É', '']);
      expect(total!.datatype).toBe('INT64');
      expect(total!.data).toBeInstanceOf(BigInt64Array);
      // The model's print() reached the log, tagged with the model, the version and the worker.
      const printed = logger.lines.find((l) => l.msg?.startsWith('affine model loaded from'));
      expect(printed?.obj).toMatchObject({ model: 'affine', version: '7', stream: 'stdout' });
      expect(printed?.obj['worker']).toEqual(expect.any(Number));
    } finally {
      await instance.unload();
    }
    expect(instance.maxBatchSize).toBe(64);
  });

  it('carries tensors many times a pipe buffer both ways, and frames sent back to back, each answered in full', async () => {
    const instance = await createPythonRuntime(settings).load({ name: 'affine', version: '1', dir: affine, options: {} }, silentContext);
    try {
      const request = (rows: number, seed: number) => ({
        inputs: [
          { name: 'x', datatype: 'FP64' as const, shape: [rows, 3], data: Float64Array.from({ length: rows * 3 }, (_, i) => (i % 997) * 0.5 + seed) },
          { name: 'names', datatype: 'BYTES' as const, shape: [rows], data: text(Array.from({ length: rows }, (_, i) => `n${i % 10}`)) },
        ],
      });
      // 200k rows: 4.8 MB of floats each way, written and read in many pipe-sized pieces; the small ones queue behind it.
      const sizes = [200_000, 1, 3, 2];
      const results = await Promise.all(sizes.map((rows, seed) => instance.execute([request(rows, seed)], new AbortController().signal)));
      results.forEach(([result], seed) => {
        const rows = sizes[seed]!;
        const y = result!.outputs[0]!.data as Float64Array;
        expect(result!.outputs[0]!.shape).toEqual([rows, 3]);
        expect(y.length).toBe(rows * 3);
        for (const i of [0, 1, rows * 3 - 1, Math.floor(rows * 1.5)]) expect(y[i]).toBe(((i % 997) * 0.5 + seed) * 2 + 1);
        const labels = result!.outputs[1]!.data as Uint8Array[];
        expect(new TextDecoder().decode(labels[rows - 1])).toBe(`N${(rows - 1) % 10}`);
      });
    } finally {
      await instance.unload();
    }
  });

  it('hands a model with predict_batch the batch as a list of requests, whatever their shapes, and answers each', async () => {
    const dir = await modelDir('lists', `
import numpy as np
class Model:
    def metadata(self):
        return {"inputs": [{"name": "seq", "datatype": "FP64", "shape": [-1, -1]}],
                "outputs": [{"name": "total", "datatype": "FP64", "shape": [-1]}, {"name": "calls", "datatype": "INT32", "shape": [-1]}]}
    def predict_batch(self, requests):
        if any((r["seq"] < 0).any() for r in requests):
            return [{"total": np.zeros(1)}]
        return [{"total": r["seq"].sum(axis=1), "calls": np.full(len(r["seq"]), len(requests))} for r in requests]
`);
    const instance = await createPythonRuntime(settings).load({ name: 'lists', version: '1', dir, options: {} }, silentContext);
    try {
      expect(instance.unmergedBatches).toBe(true);
      expect(instance.maxBatchSize).toBe(64);
      const seq = (rows: number[][]) => ({ inputs: [{ name: 'seq', datatype: 'FP64' as const, shape: [rows.length, rows[0]!.length], data: Float64Array.from(rows.flat()) }] });
      const batch = [seq([[1, 2, 3]]), seq([[0.5], [-1.5 + 3]]), seq([[10, 20, 30, 40, 50], [1, 1, 1, 1, 1]])];
      const results = await instance.execute(batch, new AbortController().signal);
      expect(results.map((r) => Array.from(r.outputs[0]!.data as Float64Array))).toEqual([[6], [0.5, 1.5], [150, 5]]);
      expect(results.map((r) => r.outputs[1]!.shape)).toEqual([[1], [2], [2]]);
      // The outputs were cast to the declared INT32; every request saw the same call of three.
      expect(results.map((r) => Array.from(r.outputs[1]!.data as Int32Array))).toEqual([[3], [3, 3], [3, 3]]);
      await expect(instance.execute([seq([[1]]), seq([[-1]])], new AbortController().signal)).rejects.toMatchObject({
        code: 'FERRY_ERR_EXECUTION_FAILED',
        message: "model 'lists' failed to execute: TypeError: predict_batch() must return a list with one dict of outputs per request (2), not 1 results",
      });
      const [alone] = await instance.execute([seq([[4, 4]])], new AbortController().signal);
      expect(Array.from(alone!.outputs[0]!.data as Float64Array)).toEqual([8]);
    } finally {
      await instance.unload();
    }
  });

  it('answers a raised exception with its type and message, logs the traceback, and serves on', async () => {
    const dir = await modelDir('raises', `
import numpy as np
class Model:
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1]}], "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]}
    def predict(self, inputs):
        x = inputs["x"]
        if (x < 0).any():
            raise ValueError(f"negative value at row {int(np.argmax(x < 0))}")
        return {"y": np.sqrt(x)}
`);
    const logger = recordingLogger();
    const instance = await createPythonRuntime(settings).load({ name: 'raises', version: '1', dir, options: {} }, { ...silentContext, logger });
    try {
      const run = (values: number[]) => instance.execute([{ inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length], data: Float32Array.from(values) }] }], new AbortController().signal);
      await expect(run([4, -1])).rejects.toMatchObject({ code: 'FERRY_ERR_EXECUTION_FAILED', http: 500, message: "model 'raises' failed to execute: ValueError: negative value at row 1" });
      const logged = logger.lines.find((l) => l.level === 'error');
      expect(String(logged?.obj['traceback'])).toMatch(/Traceback[\s\S]*raise ValueError/);
      const [ok] = await run([9, 16]);
      expect(Array.from(ok!.outputs[0]!.data as Float32Array)).toEqual([3, 4]);
    } finally {
      await instance.unload();
    }
  });

  it('takes the signature from model.yaml when the model has no metadata(), and casts outputs to it', async () => {
    const dir = await modelDir('declared', `
class Model:
    def predict(self, inputs):
        return {"y": inputs["x"].sum(axis=1)}
`);
    const declared = {
      inputs: [{ name: 'x', datatype: 'INT32' as const, shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1] }],
    };
    const instance = await createPythonRuntime(settings).load({ name: 'declared', version: '1', dir, options: { max_batch_size: 8 }, declared }, silentContext);
    try {
      expect(instance.signature.inputs).toEqual([{ name: 'x', datatype: 'INT32', shape: [-1, 2] }]);
      expect(instance.maxBatchSize).toBe(8);
      const [result] = await instance.execute([{ inputs: [{ name: 'x', datatype: 'INT32', shape: [2, 2], data: Int32Array.from([1, 2, 30, 40]) }] }], new AbortController().signal);
      expect(result!.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP32', shape: [2] });
      expect(Array.from(result!.outputs[0]!.data as Float32Array)).toEqual([3, 70]);
    } finally {
      await instance.unload();
    }
    await expect(createPythonRuntime(settings).load({ name: 'declared', version: '1', dir, options: {} }, silentContext))
      .rejects.toThrow(/no metadata\(\) and model\.yaml declares no inputs/);
  });

  it('fails the load with the Python error when model.py does not import', async () => {
    const dir = await modelDir('broken', 'import numpy as np\nraise RuntimeError("missing weights file")\n');
    await expect(createPythonRuntime(settings).load({ name: 'broken', version: '1', dir, options: {} }, silentContext))
      .rejects.toThrow("failed to load model 'broken': RuntimeError: missing weights file");
  });

  it('fails the load clearly when the interpreter does not exist', async () => {
    await expect(createPythonRuntime(settings).load({ name: 'affine', version: '1', dir: affine, options: { python: '/nonexistent/python' } }, silentContext))
      .rejects.toThrow(/could not start \/nonexistent\/python/);
  });
});
