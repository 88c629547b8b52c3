import { describe, expect, it } from 'vitest';
import type { Datatype } from '../../tensor/index.ts';
import { decodeContents, hasContents } from './contents.ts';
import { decodeInferRequest } from './decode-request.ts';
import { encodeInferResponse } from './encode-response.ts';
import type { WireContents, WireInferRequest } from './messages.ts';
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

/** A length-delimited protobuf field: its tag byte, a one-byte length, then the bytes. */
const field = (tag: number, bytes: number[]) => [tag, bytes.length, ...bytes];
const text = (value: string) => Array.from(Buffer.from(value));

describe('typed contents from hand-written protobuf bytes (InferTensorContents, grpc_service.proto)', () => {
  /** A ModelInferRequest for model "m" with one input named "x" of shape [count] and the given contents bytes. */
  const request = (datatype: string, count: number, contents: number[]) => Uint8Array.from([
    ...field(0x0a, text('m')), // model_name = 1
    ...field(0x2a, [ // inputs = 5
      ...field(0x0a, text('x')), ...field(0x12, text(datatype)), 0x18, count, // name = 1, datatype = 2, shape = 3 (unpacked)
      ...field(0x2a, contents), // contents = 5
    ]),
  ]);
  const decode = (datatype: string, count: number, contents: number[]) => {
    const wire = TYPES.ModelInferRequest.decode(request(datatype, count, contents)) as unknown as WireInferRequest;
    return Array.from(decodeInferRequest(wire).request.inputs[0]!.data as ArrayLike<unknown>);
  };

  it('reads int64_contents (field 3, packed varints, two\'s complement) exactly beyond 2^53', () => {
    expect(decode('INT64', 4, field(0x1a, [
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // -1
      0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, // 2^53 + 1
      0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, // -2^63
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, // 2^63 - 1
    ]))).toEqual([-1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('reads uint64_contents (field 5) unpacked too, up to 2^64 - 1', () => {
    expect(decode('UINT64', 2, [0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x28, 0x00]))
      .toEqual([2n ** 64n - 1n, 0n]);
  });

  it('reads bool (1), int (2), uint (4), fp32 (6), fp64 (7) and bytes (8) contents', () => {
    expect(decode('BOOL', 3, field(0x0a, [0x01, 0x00, 0x01]))).toEqual([1, 0, 1]);
    expect(decode('INT32', 2, field(0x12, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05]))).toEqual([-1, 5]);
    expect(decode('UINT16', 1, field(0x22, [0xac, 0x02]))).toEqual([300]);
    expect(decode('FP32', 2, field(0x32, [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]))).toEqual([1.5, -2]);
    expect(decode('FP64', 1, field(0x3a, [0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f]))).toEqual([0.1]);
    const bytes = decode('BYTES', 2, [...field(0x42, []), ...field(0x42, text('hi'))]) as Uint8Array[];
    expect(bytes.map((b) => Array.from(b))).toEqual([[], [0x68, 0x69]]);
  });

  it('refuses a value in another datatype\'s field', () => {
    expect(() => decode('INT32', 1, field(0x22, [0x05]))).toThrow("tensor 'x': INT32 data belongs in contents.int_contents, not contents.uint_contents");
  });
});

describe('decodeContents', () => {
  const empty: WireContents = {
    bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [],
  };
  const FIELD_OF: Record<Exclude<Datatype, 'FP16' | 'BF16'>, [keyof WireContents, unknown]> = {
    BOOL: ['bool_contents', true], INT8: ['int_contents', -1], INT16: ['int_contents', -1], INT32: ['int_contents', -1],
    INT64: ['int64_contents', -1], UINT8: ['uint_contents', 1], UINT16: ['uint_contents', 1], UINT32: ['uint_contents', 1],
    UINT64: ['uint64_contents', 1], FP32: ['fp32_contents', 0.5], FP64: ['fp64_contents', 0.5], BYTES: ['bytes_contents', Uint8Array.of(1)],
  };
  const message = (run: () => unknown) => {
    try {
      run();
      return 'no error';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('takes each datatype from its own field only, naming the right field when another is used', () => {
    for (const [datatype, [own, value]] of Object.entries(FIELD_OF) as [Datatype, [keyof WireContents, unknown]][]) {
      expect(decodeContents('x', datatype, 1, { ...empty, [own]: [value] }), datatype).toHaveLength(1);
      const other: keyof WireContents = own === 'fp64_contents' ? 'fp32_contents' : 'fp64_contents';
      expect(message(() => decodeContents('x', datatype, 1, { ...empty, [own]: [value], [other]: [0.5] })), datatype)
        .toBe(`tensor 'x': ${datatype} data belongs in contents.${own}, not contents.${other}`);
      expect(message(() => decodeContents('x', datatype, 2, { ...empty, [own]: [value] })), datatype)
        .toBe(`tensor 'x': contents.${own} has 1 elements, the shape needs 2`);
    }
  });

  it('refuses FP16 and BF16, which have no typed field', () => {
    expect(message(() => decodeContents('x', 'FP16', 0, null))).toBe("tensor 'x': FP16 has no typed contents field: send it in raw_input_contents");
    expect(message(() => decodeContents('x', 'BF16', 1, { ...empty, fp32_contents: [1] }))).toBe("tensor 'x': BF16 has no typed contents field: send it in raw_input_contents");
  });

  it('reads absent contents as no elements', () => {
    expect(decodeContents('x', 'FP32', 0, null)).toEqual(new Float32Array(0));
    expect(decodeContents('x', 'BYTES', 0, null)).toEqual([]);
    expect(message(() => decodeContents('x', 'INT8', 1, null))).toBe("tensor 'x': contents.int_contents has 0 elements, the shape needs 1");
  });

  it('stores each datatype in its own storage', () => {
    expect(decodeContents('x', 'BOOL', 2, { ...empty, bool_contents: [true, false] })).toEqual(Uint8Array.of(1, 0));
    expect(decodeContents('x', 'FP32', 1, { ...empty, fp32_contents: [0.1] })).toEqual(Float32Array.of(0.1));
    expect(decodeContents('x', 'FP64', 2, { ...empty, fp64_contents: [0.1, 1e300] })).toEqual(Float64Array.of(0.1, 1e300));
    expect(decodeContents('x', 'UINT16', 1, { ...empty, uint_contents: [65535] })).toEqual(Uint16Array.of(65535));
    expect(decodeContents('x', 'INT64', 1, { ...empty, int64_contents: [-5] })).toEqual(BigInt64Array.of(-5n));
    const elements = [Uint8Array.of(1), new Uint8Array(0)];
    const bytes = decodeContents('x', 'BYTES', 2, { ...empty, bytes_contents: elements });
    expect(bytes).toEqual(elements);
    expect(bytes).not.toBe(elements);
  });

  it('takes each 8/16/32-bit datatype up to its bounds and refuses one past them', () => {
    const bounds: [Datatype, keyof WireContents, number, number][] = [
      ['INT8', 'int_contents', -128, 127], ['INT16', 'int_contents', -32768, 32767], ['INT32', 'int_contents', -2147483648, 2147483647],
      ['UINT8', 'uint_contents', 0, 255], ['UINT16', 'uint_contents', 0, 65535], ['UINT32', 'uint_contents', 0, 4294967295],
    ];
    for (const [datatype, own, min, max] of bounds) {
      expect(Array.from(decodeContents('x', datatype, 2, { ...empty, [own]: [min, max] }) as Int32Array), datatype).toEqual([min, max]);
      expect(message(() => decodeContents('x', datatype, 2, { ...empty, [own]: [min, min - 1] }))).toBe(`tensor 'x': ${min - 1} is not within the range of ${datatype}`);
      expect(message(() => decodeContents('x', datatype, 2, { ...empty, [own]: [max + 1, max] }))).toBe(`tensor 'x': ${max + 1} is not within the range of ${datatype}`);
    }
  });

  it('refuses 64-bit values given as numbers outside the datatype', () => {
    expect(message(() => decodeContents('x', 'UINT64', 1, { ...empty, uint64_contents: [-1] }))).toBe("tensor 'x': -1 is not within the range of UINT64");
    expect(message(() => decodeContents('x', 'INT64', 1, { ...empty, int64_contents: [2 ** 63] }))).toBe("tensor 'x': 9223372036854775808 is not within the range of INT64");
    expect(message(() => decodeContents('x', 'INT64', 1, { ...empty, int64_contents: [-(2 ** 64)] }))).toBe("tensor 'x': -18446744073709551616 is not within the range of INT64");
  });
});

describe('hasContents', () => {
  it('is true when any field holds an element, and false for none or no contents', () => {
    const none: WireContents = {
      bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [],
    };
    expect(hasContents(null)).toBe(false);
    expect(hasContents(none)).toBe(false);
    for (const key of Object.keys(none) as (keyof WireContents)[]) {
      expect(hasContents({ ...none, [key]: [0] }), key).toBe(true);
    }
  });
});
