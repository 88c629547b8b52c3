import { describe, expect, it } from 'vitest';
import { classify } from './classification.ts';
import type { Datatype, TensorData } from './datatype.ts';
import type { Tensor } from './tensor.ts';

const tensor = (datatype: Datatype, shape: number[], data: TensorData): Tensor => ({ name: 'scores', datatype, shape, data });
const texts = (result: Tensor) => (result.data as Uint8Array[]).map((bytes) => new TextDecoder().decode(bytes));

describe('classify (Triton classification extension)', () => {
  it('ranks the whole tensor highest first as "value:index[:label]", floats with six decimals', () => {
    const result = classify(tensor('FP32', [4], Float32Array.of(0.1, 0.7, 0.2, -3)), 3, ['cat', 'dog'], false);
    expect(result.name).toBe('scores');
    expect(result.datatype).toBe('BYTES');
    expect(result.shape).toEqual([3]);
    expect(texts(result)).toEqual(['0.700000:1:dog', '0.200000:2', '0.100000:0:cat']);
  });

  it('puts equal values in index order and prints integers as they are', () => {
    const result = classify(tensor('INT32', [5], Int32Array.of(3, 5, -1, 5, 3)), 5, undefined, false);
    expect(texts(result)).toEqual(['5:1', '5:3', '3:0', '3:4', '-1:2']);
    expect(texts(classify(tensor('UINT8', [3], Uint8Array.of(255, 0, 7)), 1, undefined, false))).toEqual(['255:0']);
  });

  it('gives every class when fewer than the count asked for, and none for a count of 0', () => {
    const scores = tensor('FP64', [2], Float64Array.of(0.25, 0.75));
    const all = classify(scores, 10, undefined, false);
    expect(all.shape).toEqual([2]);
    expect(texts(all)).toEqual(['0.750000:1', '0.250000:0']);
    const none = classify(scores, 0, undefined, false);
    expect(none.shape).toEqual([0]);
    expect(none.data).toEqual([]);
  });

  it('ranks each row of a batch on its own: [rows, k]', () => {
    const batch = tensor('FP32', [2, 3], Float32Array.of(0.1, 0.5, 0.4, 0.9, 0.05, 0.05));
    const result = classify(batch, 2, ['a', 'b', 'c'], true);
    expect(result.shape).toEqual([2, 2]);
    expect(texts(result)).toEqual(['0.500000:1:b', '0.400000:2:c', '0.900000:0:a', '0.050000:1:b']);
  });

  it('keeps the batch dimension for a batch of one row', () => {
    const result = classify(tensor('INT64', [1, 3], BigInt64Array.of(1n, 3n, 2n)), 2, undefined, true);
    expect(result.shape).toEqual([1, 2]);
    expect(texts(result)).toEqual(['3:1', '2:2']);
  });

  it('answers [0, 0] for a batch of no rows', () => {
    const result = classify(tensor('FP32', [0, 3], new Float32Array(0)), 2, undefined, true);
    expect(result.shape).toEqual([0, 0]);
    expect(result.data).toEqual([]);
  });

  it('ranks a one-dimensional output as one ranking even with a batch dimension declared, and without one across rows', () => {
    const flat = classify(tensor('FP32', [3], Float32Array.of(1, 3, 2)), 2, undefined, true);
    expect(flat.shape).toEqual([2]);
    expect(texts(flat)).toEqual(['3.000000:1', '2.000000:2']);
    const across = classify(tensor('INT32', [2, 2], Int32Array.of(1, 4, 9, 2)), 3, undefined, false);
    expect(across.shape).toEqual([3]);
    expect(texts(across)).toEqual(['9:2', '4:1', '2:3']);
  });

  it('ranks NaN last, wherever it stands, and keeps NaNs in index order', () => {
    const result = classify(tensor('FP32', [5], Float32Array.of(NaN, 1, NaN, 2, -1)), 5, undefined, false);
    expect(texts(result)).toEqual(['2.000000:3', '1.000000:1', '-1.000000:4', 'NaN:0', 'NaN:2']);
  });

  it('compares 64-bit integers beyond 2^53 exactly', () => {
    const result = classify(tensor('INT64', [3], BigInt64Array.of(2n ** 60n, -5n, 2n ** 60n + 1n)), 3, undefined, false);
    expect(texts(result)).toEqual(['1152921504606846977:2', '1152921504606846976:0', '-5:1']);
    const unsigned = classify(tensor('UINT64', [2], BigUint64Array.of(2n ** 64n - 2n, 2n ** 64n - 1n)), 1, undefined, false);
    expect(texts(unsigned)).toEqual(['18446744073709551615:1']);
  });

  it('reads FP16 and BF16 from their bits', () => {
    // FP16 0x3c00 = 1, 0xc000 = -2, 0x3800 = 0.5; BF16 0x3f80 = 1, 0x4000 = 2, 0xbf80 = -1.
    expect(texts(classify(tensor('FP16', [3], Uint16Array.of(0x3c00, 0xc000, 0x3800)), 3, undefined, false)))
      .toEqual(['1.000000:0', '0.500000:2', '-2.000000:1']);
    expect(texts(classify(tensor('BF16', [3], Uint16Array.of(0x3f80, 0x4000, 0xbf80)), 3, undefined, false)))
      .toEqual(['2.000000:1', '1.000000:0', '-1.000000:2']);
  });

  it('leaves out an empty label', () => {
    expect(texts(classify(tensor('INT8', [2], Int8Array.of(1, 2)), 2, ['', 'b'], false))).toEqual(['2:1:b', '1:0']);
  });

  it('refuses BYTES and BOOL outputs with the catalogue error', () => {
    expect(() => classify(tensor('BYTES', [1], [Uint8Array.of(0x61)]), 1, undefined, false)).toThrow(expect.objectContaining({
      code: 'FERRY_ERR_PARAMETER_INVALID',
      message: "parameter 'classification': output 'scores' is BYTES; classes are ranked from numbers",
    }));
    expect(() => classify(tensor('BOOL', [1], Uint8Array.of(1)), 1, undefined, false)).toThrow(expect.objectContaining({
      code: 'FERRY_ERR_PARAMETER_INVALID',
      message: "parameter 'classification': output 'scores' is BOOL; classes are ranked from numbers",
    }));
  });
});
