import { describe, expect, it } from 'vitest';
import type { Datatype } from './datatype.ts';
import { decodeRawData, encodeRawData, rawByteLength } from './raw-codec.ts';

/** The catalogue message decoding throws, or 'no error'. */
function refusal(datatype: Datatype, shape: number[], bytes: number[]): string {
  try {
    decodeRawData('x', datatype, shape, Uint8Array.from(bytes));
    return 'no error';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return `${code}: ${message}`;
  }
}
const dataError = (detail: string) => `FERRY_ERR_TENSOR_DATA: tensor 'x': ${detail}`;

describe('decodeRawData', () => {
  it('says how many bytes a fixed-size tensor needs', () => {
    expect(refusal('FP32', [2], [0, 0, 0, 0, 0, 0, 0])).toBe(dataError('7 bytes of raw data, shape [2] of FP32 needs 8'));
    expect(refusal('INT64', [1, 2], new Array(17).fill(0))).toBe(dataError('17 bytes of raw data, shape [1,2] of INT64 needs 16'));
    expect(refusal('BOOL', [0], [1])).toBe(dataError('1 bytes of raw data, shape [0] of BOOL needs 0'));
  });

  it('decodes aligned numeric bytes in place and copies unaligned ones', () => {
    const buffer = new ArrayBuffer(24);
    new DataView(buffer).setFloat64(8, 1.5, true);
    new DataView(buffer).setFloat64(16, -2, true);
    const aligned = decodeRawData('x', 'FP64', [2], new Uint8Array(buffer, 8, 16)) as Float64Array;
    expect(Array.from(aligned)).toEqual([1.5, -2]);
    expect(aligned.buffer).toBe(buffer);
    expect(aligned.byteOffset).toBe(8);
    const unaligned = decodeRawData('x', 'UINT16', [1], new Uint8Array(buffer, 9, 2)) as Uint16Array;
    expect(unaligned.buffer).not.toBe(buffer);
    expect(unaligned.byteOffset % 2).toBe(0);
  });

  it('reads BYTES elements: empty ones, one element, and one whose length reaches the last byte', () => {
    const elements = (shape: number[], bytes: number[]) => (decodeRawData('x', 'BYTES', shape, Uint8Array.from(bytes)) as Uint8Array[]).map((b) => Array.from(b));
    expect(elements([0], [])).toEqual([]);
    expect(elements([1], [0, 0, 0, 0])).toEqual([[]]);
    expect(elements([3], [0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0, 0, 0, 0])).toEqual([[], [0], []]);
    expect(elements([1, 1], [3, 0, 0, 0, 0x61, 0x62, 0x63])).toEqual([[0x61, 0x62, 0x63]]);
    expect(elements([2], [1, 0, 0, 0, 0xff, 0x00, 0x01, 0x00, 0x00, ...new Array(256).fill(7)])).toEqual([[0xff], new Array(256).fill(7)]);
  });

  it('refuses BYTES data too short for the lengths alone', () => {
    expect(refusal('BYTES', [2], [0, 0, 0, 0, 0, 0, 0])).toBe(dataError('7 bytes cannot hold 2 BYTES elements'));
    expect(refusal('BYTES', [1], [])).toBe(dataError('0 bytes cannot hold 1 BYTES elements'));
  });

  it('refuses BYTES data that ends before a length, or before the bytes a length claims', () => {
    expect(refusal('BYTES', [2], [4, 0, 0, 0, 0x61, 0x62, 0x63, 0x64])).toBe(dataError('raw BYTES data ends after 1 of 2 elements'));
    expect(refusal('BYTES', [1], [3, 0, 0, 0, 0x61, 0x62])).toBe(dataError('raw BYTES element 0 claims 3 bytes past the end'));
    expect(refusal('BYTES', [2], [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])).toBe(dataError('raw BYTES element 1 claims 4294967295 bytes past the end'));
  });

  it('refuses bytes left after the last BYTES element', () => {
    expect(refusal('BYTES', [1], [1, 0, 0, 0, 0x61, 0x62])).toBe(dataError('1 bytes left after 1 BYTES elements'));
    expect(refusal('BYTES', [0], [0, 0, 0, 0])).toBe(dataError('4 bytes left after 0 BYTES elements'));
  });
});

describe('encodeRawData and rawByteLength', () => {
  it('counts 4 bytes of length per BYTES element, and the byte length of numeric storage', () => {
    expect(rawByteLength('BYTES', [Uint8Array.of(0x61, 0x62), new Uint8Array(0), Uint8Array.of(0xc3, 0xa9)])).toBe(16);
    expect(rawByteLength('BYTES', [])).toBe(0);
    expect(rawByteLength('BYTES', [new Uint8Array(0)])).toBe(4);
    expect(rawByteLength('FP32', new Float32Array(3))).toBe(12);
    expect(rawByteLength('INT64', new BigInt64Array(0))).toBe(0);
  });

  it('writes an empty BYTES element as its zero length, and numeric data as a view of its storage', () => {
    expect(Array.from(encodeRawData('BYTES', [new Uint8Array(0)]))).toEqual([0, 0, 0, 0]);
    expect(Array.from(encodeRawData('BYTES', [new Uint8Array(256)]).subarray(0, 4))).toEqual([0, 1, 0, 0]);
    const storage = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001).subarray(1, 3);
    const raw = encodeRawData('FP16', storage);
    expect(Array.from(raw)).toEqual([0x00, 0xc0, 0xff, 0x7b]);
    expect(raw.buffer).toBe(storage.buffer);
  });
});
