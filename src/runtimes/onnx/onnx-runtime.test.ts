import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchEventLoop } from '../../../test/helpers/event-loop.ts';
import { float32ToHalfBits, halfBitsToFloat } from '../../tensor/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import { createOnnxRuntime } from './onnx-runtime.ts';

const examples = path.resolve(import.meta.dirname, '../../../examples/models');
const simpleDir = { path: path.join(examples, 'simple/1'), files: ['model.onnx'] };
const rows = (n: number, offset: number) => Int32Array.from({ length: n * 16 }, (_, i) => i + offset);
// Triton's 'simple' model adds and subtracts its inputs: with INPUT0[i] = i and INPUT1[i] = i + 100, OUTPUT0[i] = 2i + 100
// and OUTPUT1[i] = -100.
const simpleReference = {
  OUTPUT0: Array.from({ length: 32 }, (_, i) => 2 * i + 100),
  OUTPUT1: Array.from({ length: 32 }, () => -100),
};

runRuntimeConformance({
  runtime: createOnnxRuntime,
  loadable: simpleDir,
  foreign: { path: '/nonexistent', files: ['model.json'] },
  sample: {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: rows(2, 0) },
      { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: rows(2, 100) },
    ],
  },
  reference: simpleReference,
});

describe('onnx runtime', () => {
  it('reads the signature from the model, with -1 for symbolic dimensions', async () => {
    const instance = await createOnnxRuntime().load({ name: 'simple', version: '1', dir: simpleDir, options: {} }, silentContext);
    expect(instance.signature.inputs).toEqual([
      { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
    ]);
    expect(instance.maxBatchSize).toBeGreaterThan(0);
    await instance.unload();
  });

  it('runs FP16 models with raw half bits in and out (Node 24 has Float16Array, the native binding does not)', async () => {
    const dir = { path: path.resolve(import.meta.dirname, '../../../test/fixtures/onnx/grpc-models/half/1'), files: ['model.onnx'] };
    const instance = await createOnnxRuntime().load({ name: 'half', version: '1', dir, options: {} }, silentContext);
    const x = Uint16Array.from([1, 2, 3, 4], float32ToHalfBits);
    const [result] = await instance.execute([{ inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 4], data: x }] }], new AbortController().signal);
    const y = result!.outputs[0]!;
    expect(y.datatype).toBe('FP16');
    expect(y.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(y.data as Uint16Array, halfBitsToFloat)).toEqual([3, 5, 7, 9]); // y = 2x + 1
    await instance.unload();
  });

  it('fails to load a corrupt file with a load error, not a crash', async () => {
    const dir = { path: path.resolve(import.meta.dirname), files: ['onnx-runtime.ts'] };
    await expect(
      createOnnxRuntime().load({ name: 'bad', version: '1', dir, options: { model_file: 'onnx-runtime.ts' } }, silentContext),
    ).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED' });
  });
});

runRuntimeConformance({
  runtime: createOnnxRuntime,
  loadable: simpleDir,
  foreign: { path: '/nonexistent', files: ['model.json'] },
  options: { execution: 'worker' },
  sample: {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: rows(2, 0) },
      { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: rows(2, 100) },
    ],
  },
  reference: simpleReference,
});

describe('onnx runtime on a worker thread (options.execution: worker)', () => {
  const mlpDir = { path: path.join(examples, 'mlp/1'), files: ['model.onnx'] };
  const mlpRequest = (rows: number) => ({ inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [rows, 256], data: new Float32Array(rows * 256).map((_, i) => Math.cos(i)) }] });

  it('answers the same numbers as in-process, and keeps the event loop free while the model computes', async () => {
    const worker = await createOnnxRuntime().load({ name: 'mlp', version: '1', dir: mlpDir, options: { execution: 'worker' } }, silentContext);
    const local = await createOnnxRuntime().load({ name: 'mlp', version: '1', dir: mlpDir, options: {} }, silentContext);
    const batchRows = 20_000;
    // The input is a view into a larger buffer, as decoded request bodies often are.
    const backing = new Float32Array(batchRows * 256 + 8).map((_, i) => Math.sin(i));
    const request = { inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [batchRows, 256], data: backing.subarray(8) }] };
    const watched = await watchEventLoop(() => worker.execute([request], new AbortController().signal));
    const [fromWorker] = watched.result;
    const [fromLocal] = await local.execute([request], new AbortController().signal);
    expect(Array.from(fromWorker!.outputs[0]!.data as Float32Array)).toEqual(Array.from(fromLocal!.outputs[0]!.data as Float32Array));
    expect(backing[8]).toBe(Math.fround(Math.sin(8))); // the caller's buffer was copied, not moved away
    expect(watched.elapsedMs).toBeGreaterThan(40);
    expect(watched.longestGapMs).toBeLessThan(Math.max(25, watched.elapsedMs / 4));
    await Promise.all([worker.unload(), local.unload()]);
  }, 60_000);

  it('moves the inputs to the thread only when the caller gives them up, and copies them otherwise', async () => {
    const instance = await createOnnxRuntime().load({ name: 'simple', version: '1', dir: simpleDir, options: { execution: 'worker' } }, silentContext);
    const request = () => ({ inputs: [{ name: 'INPUT0', datatype: 'INT32' as const, shape: [2, 16], data: rows(2, 0) }, { name: 'INPUT1', datatype: 'INT32' as const, shape: [2, 16], data: rows(2, 7) }] });
    const sums = Array.from(rows(2, 0), (v, i) => v + rows(2, 7)[i]!);
    const lent = request();
    const [fromLent] = await instance.execute([lent], new AbortController().signal);
    expect(Array.from(fromLent!.outputs[0]!.data as Int32Array)).toEqual(sums);
    expect(lent.inputs[0]!.data.length).toBe(32); // still the caller's: copied, although it owns its whole buffer
    const given = request();
    const [fromGiven] = await instance.execute([given], new AbortController().signal, true);
    expect(Array.from(fromGiven!.outputs[0]!.data as Int32Array)).toEqual(sums);
    expect(given.inputs[0]!.data.length).toBe(0); // moved: the buffer now belongs to the worker thread
    await instance.unload();
  });

  it('takes a second batch while one runs (pipeline depth 2) and answers each with its own numbers', async () => {
    const instance = await createOnnxRuntime().load({ name: 'simple', version: '1', dir: simpleDir, options: { execution: 'worker' } }, silentContext);
    expect(instance.pipelineDepth).toBe(2);
    const request = (offset: number) => ({ inputs: [{ name: 'INPUT0', datatype: 'INT32' as const, shape: [2, 16], data: rows(2, offset) }, { name: 'INPUT1', datatype: 'INT32' as const, shape: [2, 16], data: rows(2, 1) }] });
    const answers = await Promise.all([0, 100, 200].map((offset) => instance.execute([request(offset)], new AbortController().signal)));
    answers.forEach(([result], i) => expect(Array.from(result!.outputs[0]!.data as Int32Array)).toEqual(Array.from(rows(2, i * 100), (v, k) => v + rows(2, 1)[k]!)));
    const local = await createOnnxRuntime().load({ name: 'simple', version: '1', dir: simpleDir, options: {} }, silentContext);
    expect(local.pipelineDepth).toBeUndefined(); // in-process, run() holds the thread: nothing to overlap
    await Promise.all([instance.unload(), local.unload()]);
  });

  it('skips a batch whose signal fired while it waited behind another, and still answers the one running', async () => {
    const instance = await createOnnxRuntime().load({ name: 'mlp', version: '1', dir: mlpDir, options: { execution: 'worker' } }, silentContext);
    const running = instance.execute([mlpRequest(20_000)], new AbortController().signal); // tens of ms of compute
    const controller = new AbortController();
    const waiting = instance.execute([mlpRequest(4)], controller.signal);
    const kept = instance.execute([mlpRequest(4)], new AbortController().signal);
    controller.abort();
    // Had the thread run it, execute would have resolved with its outputs: only a skipped run rejects.
    await expect(waiting).rejects.toMatchObject({ code: 'FERRY_ERR_CANCELLED' });
    const [big] = await running;
    expect(big!.outputs[0]!.shape).toEqual([20_000, 10]);
    const [small] = await kept;
    expect(small!.outputs[0]!.shape).toEqual([4, 10]);
    await instance.unload();
  }, 60_000);

  it('reports each run\'s compute time, measured on the thread, without its wait behind the run ahead', async () => {
    const instance = await createOnnxRuntime().load({ name: 'mlp', version: '1', dir: mlpDir, options: { execution: 'worker' } }, silentContext);
    const began = performance.now();
    const ahead = instance.execute([mlpRequest(20_000)], new AbortController().signal);
    const behind = instance.execute([mlpRequest(4)], new AbortController().signal).then((results) => ({ results, wallMs: performance.now() - began }));
    const [[big], { results: [small], wallMs }] = await Promise.all([ahead, behind]);
    expect(big!.computeMs).toBeGreaterThan(5); // 20,000 rows: tens of ms
    expect(wallMs).toBeGreaterThan(big!.computeMs!); // the small run waited for the big one...
    expect(small!.computeMs).toBeLessThan(big!.computeMs! / 10); // ...and does not count that wait as its own
    const local = await createOnnxRuntime().load({ name: 'mlp', version: '1', dir: mlpDir, options: {} }, silentContext);
    const [inProcess] = await local.execute([mlpRequest(4)], new AbortController().signal);
    expect(inProcess!.computeMs).toBeUndefined(); // on this thread, execute()'s own time is the model's
    await Promise.all([instance.unload(), local.unload()]);
  }, 60_000);

  it('carries FP16 and BYTES across the thread boundary', async () => {
    const halfDir = { path: path.resolve(import.meta.dirname, '../../../test/fixtures/onnx/grpc-models/half/1'), files: ['model.onnx'] };
    const instance = await createOnnxRuntime().load({ name: 'half', version: '1', dir: halfDir, options: { execution: 'worker' } }, silentContext);
    const [result] = await instance.execute([{ inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 4], data: Uint16Array.from([1, 2, 3, 4], float32ToHalfBits) }] }], new AbortController().signal);
    expect(Array.from(result!.outputs[0]!.data as Uint16Array, halfBitsToFloat)).toEqual([3, 5, 7, 9]);
    await instance.unload();
  });

  it('reports a failed execution as a catalogue error and keeps serving', async () => {
    const instance = await createOnnxRuntime().load({ name: 'simple', version: '1', dir: simpleDir, options: { execution: 'worker' } }, silentContext);
    const bad = { inputs: [{ name: 'INPUT0', datatype: 'INT32' as const, shape: [1, 8], data: rows(1, 0).slice(0, 8) }, { name: 'INPUT1', datatype: 'INT32' as const, shape: [1, 16], data: rows(1, 0) }] };
    await expect(instance.execute([bad], new AbortController().signal)).rejects.toMatchObject({ code: 'FERRY_ERR_EXECUTION_FAILED' });
    const good = { inputs: [{ name: 'INPUT0', datatype: 'INT32' as const, shape: [1, 16], data: rows(1, 0) }, { name: 'INPUT1', datatype: 'INT32' as const, shape: [1, 16], data: rows(1, 5) }] };
    const [ok] = await instance.execute([good], new AbortController().signal);
    expect(Array.from(ok!.outputs[0]!.data as Int32Array)).toEqual(Array.from(rows(1, 0), (v, i) => v + rows(1, 5)[i]!));
    await instance.unload();
  });
});
