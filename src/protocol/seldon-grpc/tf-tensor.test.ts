// tensorflow.TensorProto in a SeldonMessage's data.tftensor: dtype numbers from TensorFlow's types.proto, values from
// tensor_content (little-endian, row-major) or the typed *_val field, where one value stands for all.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { longOf } from '../test-support/long.ts';
import { refusal } from '../test-support/refusal.ts';
import { tfTensorAsJson, tfTensorOf } from './tf-tensor.ts';

const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size })) });
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });

describe('tfTensorAsJson from tensor_content', () => {
  it('reads each dtype\'s little-endian bytes', () => {
    const cases: [number, number[], unknown[]][] = [
      [1, [0, 0, 0xc0, 0x3f], [1.5]],
      [2, [0, 0, 0, 0, 0, 0, 0xf8, 0xbf], [-1.5]],
      [3, [0xff, 0xff, 0xff, 0xff], [-1]],
      [4, [0xff], [255]],
      [5, [0x00, 0x80], [-32768]],
      [6, [0x80], [-128]],
      [9, [1, 0, 0, 0, 0, 0, 0x20, 0], [9007199254740993n]],
      [10, [2], [true]],
      [17, [0xff, 0xff], [65535]],
      [22, [0xff, 0xff, 0xff, 0xff], [4294967295]],
      [23, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [18446744073709551615n]],
    ];
    for (const [dtype, bytes, expected] of cases) {
      expect(tfTensorAsJson({ dtype, tensor_shape: dims(1), tensor_content: Uint8Array.from(bytes) })).toEqual({ shape: [1], values: expected });
    }
    expect(tfTensorAsJson({ dtype: 10, tensor_shape: dims(2), tensor_content: Uint8Array.from([0, 1]) }).values).toEqual([false, true]);
  });

  it('reads bytes at any offset of their buffer, row-major', () => {
    const backing = Uint8Array.from([9, 1, 0, 2, 0, 3, 0, 4, 0]);
    expect(tfTensorAsJson({ dtype: 5, tensor_shape: dims(2, 2), tensor_content: backing.subarray(1) })).toEqual({ shape: [2, 2], values: [1, 2, 3, 4] });
  });

  it('refuses content that is not whole elements, or another count than the shape', () => {
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: dims(1), tensor_content: new Uint8Array(5) }))).toEqual(
      invalid('tftensor.tensor_content holds 5 bytes, not whole 4-byte elements'),
    );
    expect(refusal(() => tfTensorAsJson({ dtype: 9, tensor_shape: dims(1), tensor_content: new Uint8Array(4) })).message).toBe(
      'invalid request: tftensor.tensor_content holds 4 bytes, not whole 8-byte elements',
    );
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: dims(3), tensor_content: new Uint8Array(8) }))).toEqual({
      code: 'FERRY_ERR_ELEMENT_COUNT', message: "tensor 'data.tftensor' has 2 elements, its shape [3] needs 3",
    });
  });
});

describe('tfTensorAsJson from the typed fields', () => {
  it('reads each dtype\'s own field, 64-bit integers exactly', () => {
    expect(tfTensorAsJson({ dtype: 1, tensor_shape: dims(2), float_val: [0.5, 1] })).toEqual({ shape: [2], values: [0.5, 1] });
    expect(tfTensorAsJson({ dtype: 2, tensor_shape: dims(1), double_val: [0.1] }).values).toEqual([0.1]);
    expect(tfTensorAsJson({ dtype: 6, tensor_shape: dims(1), int_val: [-3] }).values).toEqual([-3]);
    expect(tfTensorAsJson({ dtype: 4, tensor_shape: dims(1), int_val: [255] }).values).toEqual([255]);
    expect(tfTensorAsJson({ dtype: 5, tensor_shape: dims(1), int_val: [-300] }).values).toEqual([-300]);
    expect(tfTensorAsJson({ dtype: 17, tensor_shape: dims(1), int_val: [65535] }).values).toEqual([65535]);
    expect(tfTensorAsJson({ dtype: 10, tensor_shape: dims(1), bool_val: [true] }).values).toEqual([true]);
    expect(tfTensorAsJson({ dtype: 22, tensor_shape: dims(1), uint32_val: [7] }).values).toEqual([7]);
    expect(tfTensorAsJson({ dtype: 9, tensor_shape: dims(3), int64_val: [longOf(9007199254740993n), longOf(-9223372036854775808n), 5] }).values)
      .toEqual([9007199254740993n, -9223372036854775808n, 5n]);
    expect(tfTensorAsJson({ dtype: 23, tensor_shape: dims(1), uint64_val: [longOf(18446744073709551615n, true)] }).values).toEqual([18446744073709551615n]);
    expect(tfTensorAsJson({ dtype: 7, tensor_shape: dims(2), string_val: [Buffer.from('héllo'), new Uint8Array()] }).values).toEqual(['héllo', '']);
    expect(tfTensorAsJson({ dtype: 1, tensor_shape: dims(1), float_val: [2], tensor_content: new Uint8Array() }).values).toEqual([2]);
  });

  it('repeats one value for the whole shape, as TensorFlow does', () => {
    expect(tfTensorAsJson({ dtype: 3, tensor_shape: dims(2, 2), int_val: [7] })).toEqual({ shape: [2, 2], values: [7, 7, 7, 7] });
    expect(tfTensorAsJson({ dtype: 3, tensor_shape: dims(1), int_val: [7] })).toEqual({ shape: [1], values: [7] });
    expect(tfTensorAsJson({ dtype: 3, int_val: [7] })).toEqual({ shape: [], values: [7] });
    expect(tfTensorAsJson({ dtype: 3, tensor_shape: dims(0), int_val: [] })).toEqual({ shape: [0], values: [] });
    expect(refusal(() => tfTensorAsJson({ dtype: 3, tensor_shape: dims(0), int_val: [7] }))).toEqual({
      code: 'FERRY_ERR_ELEMENT_COUNT', message: "tensor 'data.tftensor' has 1 elements, its shape [0] needs 0",
    });
    expect(refusal(() => tfTensorAsJson({ dtype: 3, tensor_shape: dims(3), int_val: [1, 2] })).message).toBe("tensor 'data.tftensor' has 2 elements, its shape [3] needs 3");
    expect(refusal(() => tfTensorAsJson({ dtype: 3, tensor_shape: dims(2, 2), int_val: [1, 2] })).message).toBe("tensor 'data.tftensor' has 2 elements, its shape [2,2] needs 4");
    expect(refusal(() => tfTensorAsJson({ dtype: 3, tensor_shape: dims(2) })).message).toBe("tensor 'data.tftensor' has 0 elements, its shape [2] needs 2");
  });

  it('refuses dtypes it does not read, unknown ranks and sizes that are not sizes', () => {
    const dtypeRefusal = (n: number) => invalid(`tftensor dtype ${n} is not one Ferry reads (float, double, int8-64, uint8-64, bool, string)`);
    expect(refusal(() => tfTensorAsJson({}))).toEqual(dtypeRefusal(0));
    expect(refusal(() => tfTensorAsJson({ dtype: 19 }))).toEqual(dtypeRefusal(19));
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: { unknown_rank: true } }))).toEqual(invalid('tftensor has an unknown rank'));
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: dims(-1) }))).toEqual(invalid('tftensor shape [-1] is not a list of sizes'));
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: dims(2, -1) }))).toEqual(invalid('tftensor shape [2,-1] is not a list of sizes'));
    expect(refusal(() => tfTensorAsJson({ dtype: 1, tensor_shape: { dim: [{ size: longOf(9007199254740993n) }] } }))).toEqual(
      invalid('tftensor shape [-1] is not a list of sizes'),
    );
    expect(tfTensorAsJson({ dtype: 1, tensor_shape: { dim: [{}, { size: longOf(2n) }] }, float_val: [] })).toEqual({ shape: [0, 2], values: [] });
  });
});

describe('tfTensorOf', () => {
  it('answers numbers and booleans in tensor_content with their own dtype, BYTES in string_val', () => {
    const backing = new Float32Array([9, 1.5, -2]);
    const out = tfTensorOf('m', { name: 'y', datatype: 'FP32', shape: [2], data: backing.subarray(1) }) as { dtype: number; tensor_shape: unknown; tensor_content: Uint8Array };
    expect(out.dtype).toBe(1);
    expect(out.tensor_shape).toEqual(dims(2));
    expect(Array.from(out.tensor_content)).toEqual([0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
    const dtypes = (['FP64', 'INT32', 'UINT8', 'INT16', 'INT8', 'INT64', 'BOOL', 'UINT16', 'UINT32', 'UINT64'] as const).map((datatype) =>
      (tfTensorOf('m', { name: 'y', datatype, shape: [0], data: new Uint8Array() }) as { dtype: number }).dtype);
    expect(dtypes).toEqual([2, 3, 4, 5, 6, 9, 10, 17, 22, 23]);
    const strings = [Buffer.from('a')];
    expect(tfTensorOf('m', { name: 's', datatype: 'BYTES', shape: [1], data: strings })).toEqual({ dtype: 7, tensor_shape: dims(1), string_val: strings });
  });

  it('refuses datatypes a TensorProto answer does not carry', () => {
    const half: Tensor = { name: 'h', datatype: 'FP16', shape: [1], data: new Uint16Array(1) };
    expect(refusal(() => tfTensorOf('m', half))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL',
      message: "model 'm': output 'h' is FP16, which a tftensor answer does not carry; send data.tensor or use the V2 protocol",
    });
  });
});
