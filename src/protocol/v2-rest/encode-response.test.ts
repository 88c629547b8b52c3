// The V2 REST answer pinned to the text and bytes the Open Inference Protocol specifies: a JSON object of
// model_name, model_version, id, parameters and outputs (each with name, datatype, shape and a flat "data" list),
// or with the binary tensor extension a JSON header whose outputs carry parameters.binary_data_size, followed by
// each such output's raw little-endian bytes in output order. Expected text and bytes are written out by hand.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../http/limits.ts';
import type { InferRequest, InferResponse, Tensor } from '../../tensor/index.ts';
import { encodeInferResponse } from './encode-response.ts';

const response = (outputs: Tensor[], extra: Partial<InferResponse> = {}): InferResponse => ({ modelName: 'm', modelVersion: '1', outputs, ...extra });
const plain: InferRequest = { inputs: [] };

async function encode(answer: InferResponse, request: InferRequest = plain, maxResponseBytes = DEFAULT_LIMITS.maxResponseBytes) {
  const encoded = await encodeInferResponse(answer, request, { ...DEFAULT_LIMITS, maxResponseBytes });
  const body = Buffer.concat(encoded.body.chunks as Buffer[]);
  expect(encoded.body.length).toBe(body.length);
  return { body, text: body.toString('utf8'), headerLength: encoded.headerLength, chunks: encoded.body.chunks };
}
async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'no error';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return `${code}: ${message}`;
  }
}

describe('V2 REST response as JSON', () => {
  it('writes the model, id, parameters and each output with its flat data', async () => {
    const { text, headerLength } = await encode(response([
      { name: 'scores', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(1.5, -2) },
      { name: 'label', datatype: 'BYTES', shape: [1], data: [Buffer.from('cat')], parameters: { content_type: 'str' } },
    ], { id: 'r1', parameters: { a: 1, b: 'x' } }));
    expect(headerLength).toBeUndefined();
    expect(text).toBe('{"model_name":"m","model_version":"1","id":"r1","parameters":{"a":1,"b":"x"},"outputs":['
      + '{"name":"scores","datatype":"FP32","shape":[1,2],"data":[1.5,-2]},'
      + '{"name":"label","datatype":"BYTES","shape":[1],"parameters":{"content_type":"str"},"data":["cat"]}]}');
  });

  it('leaves out an absent id and parameters, and writes no outputs as an empty list', async () => {
    expect((await encode(response([]))).text).toBe('{"model_name":"m","model_version":"1","outputs":[]}');
    expect((await encode(response([], { id: '', modelName: 'a"b', modelVersion: '' }))).text)
      .toBe('{"model_name":"a\\"b","model_version":"","id":"","outputs":[]}');
  });

  it('writes empty and one-element tensors', async () => {
    const { text } = await encode(response([
      { name: 'e', datatype: 'INT32', shape: [0], data: new Int32Array(0) },
      { name: 'o', datatype: 'INT8', shape: [], data: Int8Array.of(-7) },
      { name: 'z', datatype: 'BYTES', shape: [0, 2], data: [] },
    ]));
    expect(text).toBe('{"model_name":"m","model_version":"1","outputs":['
      + '{"name":"e","datatype":"INT32","shape":[0],"data":[]},'
      + '{"name":"o","datatype":"INT8","shape":[],"data":[-7]},'
      + '{"name":"z","datatype":"BYTES","shape":[0,2],"data":[]}]}');
  });

  it('writes each datatype as its JSON values: 64-bit integers beyond 2^53 as exact literals, non-finite floats as null', async () => {
    const outputs: Tensor[] = [
      { name: 'i64', datatype: 'INT64', shape: [3], data: BigInt64Array.of(2n ** 53n + 1n, -(2n ** 63n), 0n) },
      { name: 'u64', datatype: 'UINT64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
      { name: 'u32', datatype: 'UINT32', shape: [2], data: Uint32Array.of(4294967295, 0) },
      { name: 'b', datatype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      { name: 'f32', datatype: 'FP32', shape: [5], data: Float32Array.of(0.1, NaN, Infinity, -Infinity, -0) },
      { name: 'f64', datatype: 'FP64', shape: [2], data: Float64Array.of(0.1, 1e300) },
      { name: 'h', datatype: 'FP16', shape: [4], data: Uint16Array.of(0x3c00, 0xc000, 0x7c00, 0x7e00) },
      { name: 'bf', datatype: 'BF16', shape: [3], data: Uint16Array.of(0x3f81, 0xff80, 0x7fc0) },
      { name: 's', datatype: 'BYTES', shape: [4], data: [new Uint8Array(0), Buffer.from('a"b'), Uint8Array.of(0), Uint8Array.of(0xc3, 0xa9)] },
    ];
    const data: string[] = [];
    for (const output of outputs) {
      const { text } = await encode(response([output]));
      const start = text.indexOf('"data":[') + '"data":['.length;
      expect(text.endsWith(']}]}')).toBe(true);
      data.push(text.slice(start, -4));
    }
    expect(data).toEqual([
      '9007199254740993,-9223372036854775808,0',
      '18446744073709551615',
      '4294967295,0',
      'true,false,true',
      '0.10000000149011612,null,null,null,0',
      '0.1,1e+300',
      '1,-2,null,null',
      '1.0078125,null,null',
      '"","a\\"b","\\u0000","é"',
    ]);
  });

  it('joins slices of 16,384 elements with commas, finding a non-finite float in a later slice', async () => {
    const count = 16 * 1024 + 2;
    const ints = Int32Array.from({ length: count }, (_, i) => i);
    const floats = Float64Array.from({ length: count }, (_, i) => (i === count - 1 ? NaN : i));
    const { text } = await encode(response([
      { name: 'i', datatype: 'INT32', shape: [count], data: ints },
      { name: 'f', datatype: 'FP64', shape: [count], data: floats },
    ]));
    const parsed = JSON.parse(text) as { outputs: { data: (number | null)[] }[] };
    expect(parsed.outputs[0]!.data).toEqual(Array.from(ints));
    expect(parsed.outputs[1]!.data).toEqual([...Array.from(floats.subarray(0, count - 1)), null]);
  });

  it('writes exactly one slice of 16,384 elements, and BYTES across slices in order', async () => {
    const slice = Uint8Array.from({ length: 16 * 1024 }, (_, i) => i % 251);
    expect(JSON.parse((await encode(response([{ name: 'u', datatype: 'UINT8', shape: [slice.length], data: slice }]))).text).outputs[0].data)
      .toEqual(Array.from(slice));
    const texts = Array.from({ length: 16 * 1024 + 3 }, (_, i) => String(i));
    const { text } = await encode(response([{ name: 's', datatype: 'BYTES', shape: [texts.length], data: texts.map((t) => Buffer.from(t)) }]));
    expect(JSON.parse(text).outputs[0].data).toEqual(texts);
  });

  it('refuses a BYTES element that is not UTF-8, naming its index across slices and the binary alternative', async () => {
    const elements = Array.from({ length: 16 * 1024 + 3 }, () => Buffer.from('a'));
    elements[16 * 1024 + 1] = Buffer.from([0xff]);
    expect(await refusal(() => encode(response([{ name: 'y', datatype: 'BYTES', shape: [elements.length], data: elements }])))).toBe(
      "FERRY_ERR_OUTPUT_NOT_TEXT: output 'y' element 16385 is not UTF-8 text, and this answer writes it as a JSON string: "
      + 'request it with the binary tensor extension (outputs[].parameters.binary_data: true), or use gRPC',
    );
  });
});

describe('V2 REST response with the binary tensor extension', () => {
  const fp32 = (): Tensor => ({ name: 'y', datatype: 'FP32', shape: [2], data: Float32Array.of(1, -2.5) });

  it('writes binary_data_size in the header and the raw bytes after it, for binary_data_output', async () => {
    const { body, headerLength } = await encode(response([fp32()]), { inputs: [], parameters: { binary_data_output: true } });
    const header = '{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}';
    expect(headerLength).toBe(header.length);
    expect(body.subarray(0, headerLength).toString()).toBe(header);
    expect(Array.from(body.subarray(header.length))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]);
  });

  it('lets an output\'s own binary_data override the request\'s default, either way', async () => {
    const outputs: Tensor[] = [
      { name: 'a', datatype: 'UINT8', shape: [2], data: Uint8Array.of(1, 2) },
      { name: 'b', datatype: 'INT16', shape: [1], data: Int16Array.of(-2), parameters: { p: 1 } },
      { name: 'c', datatype: 'BYTES', shape: [2], data: [new Uint8Array(0), Buffer.from('hi')] },
    ];
    const request: InferRequest = {
      inputs: [], parameters: { binary_data_output: true },
      outputs: [{ name: 'a', parameters: { binary_data: false } }, { name: 'b', parameters: { binary_data: true } }, { name: 'c' }],
    };
    const { body, headerLength } = await encode(response(outputs), request);
    const header = '{"model_name":"m","model_version":"1","outputs":['
      + '{"name":"a","datatype":"UINT8","shape":[2],"data":[1,2]},'
      + '{"name":"b","datatype":"INT16","shape":[1],"parameters":{"p":1,"binary_data_size":2}},'
      + '{"name":"c","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":10}}]}';
    expect(body.subarray(0, headerLength).toString()).toBe(header);
    expect(Array.from(body.subarray(header.length))).toEqual([0xfe, 0xff, 0, 0, 0, 0, 2, 0, 0, 0, 0x68, 0x69]);
  });

  it('takes only binary_data true, per output or as the default, as a request for binary', async () => {
    const asJson = '{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[2],"data":[1,-2.5]}]}';
    for (const request of [
      { inputs: [], parameters: { binary_data_output: 'true' } },
      { inputs: [], parameters: { binary_data_output: 1 } },
      { inputs: [], outputs: [{ name: 'y', parameters: { binary_data: 'true' } }] },
      { inputs: [], parameters: { binary_data_output: true }, outputs: [{ name: 'y', parameters: { binary_data: 1 } }] },
      { inputs: [], outputs: [{ name: 'other', parameters: { binary_data: true } }] },
    ] as InferRequest[]) {
      const { text, headerLength } = await encode(response([fp32()]), request);
      expect(headerLength, JSON.stringify(request)).toBeUndefined();
      expect(text).toBe(asJson);
    }
    const { headerLength } = await encode(response([fp32()]), { inputs: [], outputs: [{ name: 'y', parameters: { binary_data: true } }] });
    expect(headerLength).toBe('{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}'.length);
  });

  it('sends an empty binary tensor as a size of 0, and the tensors\' own memory after the header', async () => {
    const data = Float32Array.of(1, -2.5);
    const { chunks, body, headerLength } = await encode(response([
      { name: 'e', datatype: 'FP64', shape: [0], data: new Float64Array(0) },
      { name: 'y', datatype: 'FP32', shape: [2], data },
    ]), { inputs: [], parameters: { binary_data_output: true } });
    expect(body.subarray(0, headerLength).toString()).toContain('"shape":[0],"parameters":{"binary_data_size":0}},{"name":"y"');
    expect(body.length).toBe(headerLength! + 8);
    expect(chunks.at(-1)!.buffer).toBe(data.buffer);
  });

  it('refuses an answer one byte past limits.max_response_bytes, counting header and binary part', async () => {
    const request: InferRequest = { inputs: [], parameters: { binary_data_output: true } };
    const { body } = await encode(response([fp32()]), request);
    expect((await encode(response([fp32()]), request, body.length)).body.length).toBe(body.length);
    expect(await refusal(() => encode(response([fp32()]), request, body.length - 1))).toBe(
      `FERRY_ERR_RESPONSE_TOO_LARGE: response of ${body.length} bytes exceeds the limit of ${body.length - 1} bytes (setting: limits.max_response_bytes)`,
    );
    const json = (await encode(response([fp32()]))).body.length;
    expect(await refusal(() => encode(response([fp32()]), plain, json - 1))).toBe(
      `FERRY_ERR_RESPONSE_TOO_LARGE: response of ${json} bytes exceeds the limit of ${json - 1} bytes (setting: limits.max_response_bytes)`,
    );
  });
});
