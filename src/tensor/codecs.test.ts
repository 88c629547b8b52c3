import { describe, expect, it } from 'vitest';
import { DATATYPES, type Datatype } from './datatype.ts';
import { bfloat16BitsToFloat, float32ToBfloat16Bits, float32ToHalfBits, halfBitsToFloat } from './half.ts';
import { decodeJsonData, encodeJsonData } from './json-codec.ts';
import { decodeRawData, encodeRawData } from './raw-codec.ts';

const samples: Record<Datatype, unknown[]> = {
  BOOL: [true, false], UINT8: [0, 255], UINT16: [0, 65535], UINT32: [0, 4294967295], UINT64: [0, 2 ** 53 - 1],
  INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-2147483648, 2147483647], INT64: [-(2 ** 53 - 1), 2 ** 53 - 1],
  FP16: [1.5, -2], FP32: [0.5, -1e10], FP64: [Math.PI, -1e300], BF16: [1, -2], BYTES: ['héllo', ''],
};

describe('tensor codecs', () => {
  it('round-trips every datatype through JSON and raw encodings', () => {
    for (const datatype of DATATYPES) {
      const values = samples[datatype];
      const data = decodeJsonData('t', datatype, [values.length], values);
      expect(encodeJsonData(datatype, data)).toEqual(values);
      const raw = encodeRawData(datatype, data);
      const back = decodeRawData('t', datatype, [values.length], raw);
      expect(encodeJsonData(datatype, back)).toEqual(values);
    }
  });

  it('lays BYTES out as 4-byte little-endian lengths, then the bytes', () => {
    const raw = encodeRawData('BYTES', [new Uint8Array([1, 2, 3]), new Uint8Array([])]);
    expect(Array.from(raw)).toEqual([3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0]);
    expect(() => decodeRawData('t', 'BYTES', [2], raw.subarray(0, 9))).toThrow(/BYTES/);
    expect(() => decodeRawData('t', 'BYTES', [1], raw)).toThrow(/bytes left/);
  });

  it('accepts nested data, integral floats and exact 64-bit strings; rejects the rest', () => {
    expect(Array.from(decodeJsonData('t', 'INT32', [2, 2], [[1, 2.0], [3, 4]]) as Int32Array)).toEqual([1, 2, 3, 4]);
    expect((decodeJsonData('t', 'INT64', [1], ['9223372036854775807']) as BigInt64Array)[0]).toBe(9223372036854775807n);
    expect(Number.isNaN((decodeJsonData('t', 'FP32', [1], [null]) as Float32Array)[0])).toBe(true);
    expect((decodeJsonData('t', 'BYTES', [2], ['a', null]) as Uint8Array[]).map((b) => b.length)).toEqual([1, 0]);
    expect(() => decodeJsonData('t', 'INT8', [1], [128])).toThrow(/range of INT8/);
    expect(() => decodeJsonData('t', 'UINT64', [1], [-1])).toThrow(/range of UINT64/);
    expect(() => decodeJsonData('t', 'BOOL', [1], ['yes'])).toThrow(/not a boolean/);
    expect(() => decodeJsonData('t', 'FP32', [2], [1])).toThrow(/has 1 elements/);
    expect(() => decodeJsonData('t', 'FP32', [1], JSON.parse(`${'['.repeat(67)}1${']'.repeat(67)}`))).toThrow(/nested deeper than 65 levels/);
    expect(() => decodeRawData('t', 'FP32', [2], new Uint8Array(7))).toThrow(/needs 8/);
  });

  it('reads 64-bit integers exactly from bigints, safe integers and decimal strings; refuses rounded doubles', () => {
    const int64 = decodeJsonData('t', 'INT64', [4], [2n ** 62n + 1n, -(2n ** 63n), '9223372036854775807', -42]) as BigInt64Array;
    expect(Array.from(int64)).toEqual([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -42n]);
    expect((decodeJsonData('t', 'UINT64', [1], [2n ** 64n - 1n]) as BigUint64Array)[0]).toBe(2n ** 64n - 1n);
    expect(() => decodeJsonData('t', 'INT64', [1], [2n ** 63n])).toThrow(/9223372036854775808 is not within the range of INT64/);
    expect(() => decodeJsonData('t', 'UINT64', [1], [2n ** 64n])).toThrow(/within the range of UINT64/);
    expect(() => decodeJsonData('t', 'INT64', [1], [2 ** 62])).toThrow(/4611686018427388000 is not an exact INT64/);
    expect(() => decodeJsonData('t', 'INT32', [1], [2n ** 62n])).toThrow(/4611686018427387904 is not within the range of INT32/);
    // Float tensors take a long integer literal as the double nearest to it, as JSON.parse would.
    expect((decodeJsonData('t', 'FP64', [1], [2n ** 62n + 1n]) as Float64Array)[0]).toBe(2 ** 62);
    expect(() => decodeJsonData('t', 'BOOL', [1], [2n ** 62n])).toThrow(/not a boolean/);
  });

  it('refuses BYTES strings that are not Unicode text, and BYTES that are not UTF-8 where text is needed', () => {
    expect(() => decodeJsonData('t', 'BYTES', [1], ['a\ud800'])).toThrow(/lone surrogate/);
    const bytes = decodeJsonData('t', 'BYTES', [2], ['\uFEFFA', 'a\u0000b']);
    expect(encodeJsonData('BYTES', bytes)).toEqual(['\uFEFFA', 'a\u0000b']);
    expect(() => encodeJsonData('BYTES', [Uint8Array.of(0xff)])).toThrow(/element 0 is not UTF-8 text/);
  });

  it('converts half and bfloat16 with round-to-nearest-even', () => {
    expect(halfBitsToFloat(float32ToHalfBits(1 / 3))).toBeCloseTo(0.33325, 5);
    expect(float32ToHalfBits(65520)).toBe(0x7c00); // rounds to infinity
    expect(halfBitsToFloat(float32ToHalfBits(6e-8))).toBeCloseTo(5.96e-8, 9); // subnormal
    expect(Number.isNaN(halfBitsToFloat(float32ToHalfBits(NaN)))).toBe(true);
    expect(bfloat16BitsToFloat(float32ToBfloat16Bits(1.00390625))).toBe(1); // tie to even
  });

  it('decodes raw numeric data at an unaligned offset', () => {
    const buffer = new Uint8Array(9);
    new DataView(buffer.buffer).setFloat32(1, 2.5, true);
    new DataView(buffer.buffer).setFloat32(5, -1, true);
    expect(Array.from(decodeRawData('t', 'FP32', [2], buffer.subarray(1)) as Float32Array)).toEqual([2.5, -1]);
  });

  it.each([3, 2048])('copies %i unaligned FP64 values to an aligned place of their own', (count) => {
    // 3 values come from Node's shared small-buffer pool, 2048 (16 KiB) from a buffer of their own.
    const values = Array.from({ length: count }, (_, i) => i * 0.5 - 7.25);
    const source = new Uint8Array(count * 8 + 3);
    const view = new DataView(source.buffer);
    values.forEach((v, i) => view.setFloat64(3 + i * 8, v, true));
    const decoded = decodeRawData('t', 'FP64', [count], source.subarray(3)) as Float64Array;
    expect(decoded.byteOffset % 8).toBe(0);
    source.fill(0xff); // the decoded tensor must not share the request's bytes
    expect(Array.from(decoded)).toEqual(values);
  });
});
