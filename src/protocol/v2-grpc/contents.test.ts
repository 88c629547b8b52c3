import { describe, expect, it } from 'vitest';
import { decodeInferRequest } from './decode-request.ts';
import { encodeInferResponse } from './encode-response.ts';
import type { WireInferRequest } from './messages.ts';
import { TYPES } from './schema.ts';

/** Encodes a request object as a client would and decodes it as the server does. */
function viaWire(request: object) {
  const bytes = TYPES.ModelInferRequest.encode(TYPES.ModelInferRequest.fromObject(request)).finish();
  return decodeInferRequest(TYPES.ModelInferRequest.decode(bytes) as unknown as WireInferRequest);
}

describe('typed contents decoding', () => {
  it('keeps 64-bit integers exact, signed and unsigned', () => {
    const { request } = viaWire({
      model_name: 'm',
      inputs: [
        { name: 'a', datatype: 'INT64', shape: [3], contents: { int64_contents: ['-9223372036854775808', '9223372036854775807', '-1'] } },
        { name: 'b', datatype: 'UINT64', shape: [2], contents: { uint64_contents: ['18446744073709551615', '9007199254740993'] } },
      ],
    });
    expect(Array.from(request.inputs[0]!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, -1n]);
    expect(Array.from(request.inputs[1]!.data as BigUint64Array)).toEqual([2n ** 64n - 1n, 9007199254740993n]);
  });

  it('stores BOOL as 0/1 and checks small integer ranges', () => {
    const { request } = viaWire({ model_name: 'm', inputs: [{ name: 'b', datatype: 'BOOL', shape: [3], contents: { bool_contents: [true, false, true] } }] });
    expect(Array.from(request.inputs[0]!.data as Uint8Array)).toEqual([1, 0, 1]);
    const int8 = viaWire({ model_name: 'm', inputs: [{ name: 'i', datatype: 'INT8', shape: [2], contents: { int_contents: [-128, 127] } }] });
    expect(Array.from(int8.request.inputs[0]!.data as Int8Array)).toEqual([-128, 127]);
    expect(() => viaWire({ model_name: 'm', inputs: [{ name: 'i', datatype: 'INT8', shape: [1], contents: { int_contents: [128] } }] })).toThrow(/128 is not within the range of INT8/);
    expect(() => viaWire({ model_name: 'm', inputs: [{ name: 'u', datatype: 'UINT8', shape: [1], contents: { uint_contents: [256] } }] })).toThrow(/256 is not within the range of UINT8/);
  });

  it('decodes request, input and output parameters of every kind', () => {
    const { request } = viaWire({
      model_name: 'm', id: 'r1',
      parameters: { s: { string_param: 'x' }, b: { bool_param: true }, i: { int64_param: '-42' }, d: { double_param: 0.5 }, u: { uint64_param: '7' } },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1.5] }, parameters: { p: { string_param: 'q' } } }],
      outputs: [{ name: 'y', parameters: { classification: { int64_param: 2 } } }],
    });
    expect(request).toMatchObject({
      id: 'r1', parameters: { s: 'x', b: true, i: -42, d: 0.5, u: 7 },
      inputs: [{ name: 'x', parameters: { p: 'q' } }], outputs: [{ name: 'y', parameters: { classification: 2 } }],
    });
    expect(() => viaWire({ model_name: 'm', parameters: { big: { int64_param: '9007199254740993' } }, inputs: [{ name: 'x', datatype: 'FP32', shape: [0] }] }))
      .toThrow(/parameter 'big': integer parameters must lie within/);
  });
});

describe('response encoding', () => {
  /** The response as a client decodes it from the wire. */
  const viaClient = (message: object) => TYPES.ModelInferResponse.toObject(TYPES.ModelInferResponse.decode(TYPES.ModelInferResponse.encode(message).finish()), { longs: String });

  it('answers every output in raw_output_contents, exact bytes in output order, never in typed contents', () => {
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = viaClient(encodeInferResponse({
      modelName: 'm', modelVersion: '1', parameters: { n: 3, f: 0.25, ok: true, s: 'v' },
      outputs: [
        { name: 'a', datatype: 'INT64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n + 1n]) },
        { name: 'b', datatype: 'UINT64', shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
        { name: 'c', datatype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
        { name: 'd', datatype: 'FP64', shape: [1], data: Float64Array.from([Math.PI]) },
        { name: 'e', datatype: 'BYTES', shape: [2], data: [allBytes, new Uint8Array(0)] },
        { name: 'h', datatype: 'FP16', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
        { name: 'z', datatype: 'FP32', shape: [0], data: new Float32Array(0) },
      ],
    }));
    expect(decoded['outputs'].map((o: { name: string; contents?: object }) => [o.name, o.contents])).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'h', 'z'].map((name) => [name, undefined]),
    );
    const raw = decoded['raw_output_contents'] as Uint8Array[];
    expect(raw).toHaveLength(7); // one entry per output, the empty one included
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect([view(raw[0]!).getBigInt64(0, true), view(raw[0]!).getBigInt64(8, true)]).toEqual([-(2n ** 63n), 2n ** 62n + 1n]);
    expect(view(raw[1]!).getBigUint64(0, true)).toBe(2n ** 64n - 1n);
    expect(Array.from(raw[2]!)).toEqual([1, 0]);
    expect(view(raw[3]!).getFloat64(0, true)).toBe(Math.PI);
    expect(Array.from(raw[4]!)).toEqual([0, 1, 0, 0, ...allBytes, 0, 0, 0, 0]); // 4-byte LE length, then the bytes
    expect(Array.from(raw[5]!)).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(raw[6]!.byteLength).toBe(0);
    expect(decoded['parameters']).toEqual({ n: { int64_param: '3' }, f: { double_param: 0.25 }, ok: { bool_param: true }, s: { string_param: 'v' } });
  });
});
