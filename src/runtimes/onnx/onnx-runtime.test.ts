import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32ToHalfBits, halfBitsToFloat } from '../../tensor/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import { createOnnxRuntime } from './onnx-runtime.ts';

const examples = path.resolve(import.meta.dirname, '../../../examples/models');
const simpleDir = { path: path.join(examples, 'simple/1'), files: ['model.onnx'] };
const rows = (n: number, offset: number) => Int32Array.from({ length: n * 16 }, (_, i) => i + offset);

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
