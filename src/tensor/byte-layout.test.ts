// Raw tensor layouts pinned to the bytes the Open Inference Protocol's binary extension and gRPC raw contents
// specify (little-endian, row-major; FP16 as IEEE half, BF16 as the top 16 bits of the float32; BOOL as one byte;
// BYTES as a 4-byte little-endian length then the bytes), written out by hand, not produced by Ferry's encoder.
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { Datatype } from './datatype.ts';
import { decodeJsonData, encodeJsonData } from './json-codec.ts';
import { decodeRawData, encodeRawData } from './raw-codec.ts';

const LAYOUTS: readonly { datatype: Datatype; values: unknown[]; bytes: number[] }[] = [
  { datatype: 'BOOL', values: [true, false, true], bytes: [0x01, 0x00, 0x01] },
  { datatype: 'UINT8', values: [0, 255, 16], bytes: [0x00, 0xff, 0x10] },
  { datatype: 'INT8', values: [-128, 127, -1], bytes: [0x80, 0x7f, 0xff] },
  { datatype: 'UINT16', values: [1, 0xabcd], bytes: [0x01, 0x00, 0xcd, 0xab] },
  { datatype: 'INT16', values: [-2, 256], bytes: [0xfe, 0xff, 0x00, 0x01] },
  { datatype: 'UINT32', values: [0x01020304, 4294967295], bytes: [0x04, 0x03, 0x02, 0x01, 0xff, 0xff, 0xff, 0xff] },
  { datatype: 'INT32', values: [-1, 256], bytes: [0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00] },
  { datatype: 'UINT64', values: [1, 2 ** 53 - 1], bytes: [1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00] },
  { datatype: 'INT64', values: [-2, 2 ** 40], bytes: [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0x01, 0, 0] },
  { datatype: 'FP16', values: [1, -2, 65504], bytes: [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b] },
  { datatype: 'BF16', values: [1, -2], bytes: [0x80, 0x3f, 0x00, 0xc0] },
  { datatype: 'FP32', values: [1, -2.5], bytes: [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0] },
  { datatype: 'FP64', values: [1, -2], bytes: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x00, 0xc0] },
  { datatype: 'BYTES', values: ['ab', '', 'é'], bytes: [2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9] },
];

const jsonValues = (datatype: Datatype, values: unknown[]) => encodeJsonData(datatype, decodeJsonData('t', datatype, [values.length], values));

describe('raw tensor byte layouts', () => {
  for (const { datatype, values, bytes } of LAYOUTS) {
    it(`${datatype}: encodes ${JSON.stringify(values)} to the specified bytes and decodes them back`, () => {
      const data = decodeJsonData('t', datatype, [values.length], values);
      expect(Array.from(encodeRawData(datatype, data))).toEqual(bytes);
      const decoded = decodeRawData('t', datatype, [values.length], Uint8Array.from(bytes));
      expect(encodeJsonData(datatype, decoded)).toEqual(jsonValues(datatype, values));
      expect(encodeJsonData(datatype, decoded)).toEqual(values);
    });
  }

  it('holds an empty tensor in zero bytes and a one-element tensor in one element\'s bytes', () => {
    for (const { datatype } of LAYOUTS) {
      const empty = decodeRawData('t', datatype, [0, 3], new Uint8Array(0));
      expect(empty.length, datatype).toBe(0);
      expect(encodeRawData(datatype, empty).byteLength, datatype).toBe(0);
    }
    expect(Array.from(decodeRawData('t', 'FP32', [1, 1], Uint8Array.of(0x00, 0x00, 0x80, 0xbf)) as Float32Array)).toEqual([-1]);
    expect(Array.from(decodeRawData('t', 'FP32', [], Uint8Array.of(0x00, 0x00, 0x80, 0xbf)) as Float32Array)).toEqual([-1]);
  });

  it('refuses raw data one byte short or one byte long, for fixed-size and BYTES layouts', () => {
    const code = (run: () => unknown) => {
      try {
        run();
        return 'no error';
      } catch (error) {
        return isFerryError(error) ? error.code : String(error);
      }
    };
    const fp32 = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0];
    expect(code(() => decodeRawData('t', 'FP32', [2], Uint8Array.from(fp32.slice(0, 7))))).toBe('FERRY_ERR_TENSOR_DATA');
    expect(code(() => decodeRawData('t', 'FP32', [2], Uint8Array.from([...fp32, 0])))).toBe('FERRY_ERR_TENSOR_DATA');
    // A BYTES element whose length reaches exactly the end is whole; one byte more is past the end.
    expect(code(() => decodeRawData('t', 'BYTES', [1], Uint8Array.of(2, 0, 0, 0, 0x61, 0x62)))).toBe('no error');
    expect(code(() => decodeRawData('t', 'BYTES', [1], Uint8Array.of(3, 0, 0, 0, 0x61, 0x62)))).toBe('FERRY_ERR_TENSOR_DATA');
    expect(code(() => decodeRawData('t', 'BYTES', [1], Uint8Array.of(2, 0, 0)))).toBe('FERRY_ERR_TENSOR_DATA');
    expect(code(() => decodeRawData('t', 'BYTES', [2], Uint8Array.of(0, 0, 0, 0)))).toBe('FERRY_ERR_TENSOR_DATA');
    expect(code(() => decodeRawData('t', 'BYTES', [1], Uint8Array.of(0, 0, 0, 0, 0x61)))).toBe('FERRY_ERR_TENSOR_DATA');
  });
});
