// SeldonMessage answers written out by hand: data.ndarray or data.tensor (as the request was), data.names for the
// columns, jsonData for a jsonData request, and meta with the request's puid and tags and the model that answered.
import { describe, expect, it } from 'vitest';
import type { InferResponse, Tensor } from '../../tensor/index.ts';
import { DEFAULT_LIMITS } from '../http/limits.ts';
import { JsonSink } from '../http/json-sink.ts';
import { refusalOf } from '../test-support/refusal.ts';
import { encodeMessage, responseMeta } from './message-response.ts';
import type { PayloadKind } from './message-request.ts';

const META = '"meta":{"puid":"p1","tags":{"t":1},"routing":{},"requestPath":{"m":"m:2"},"metrics":[]}';

async function encode(outputs: Tensor[], kind: PayloadKind, parameters?: InferResponse['parameters'], sliceUsedUp = false): Promise<string> {
  const sink = new JsonSink(DEFAULT_LIMITS);
  // A sink whose slice of work is used up (8 ms) pauses at its first look at the clock: the encoder must wait for it.
  if (sliceUsedUp) await new Promise((resolve) => setTimeout(resolve, 20));
  const response: InferResponse = parameters ? { modelName: 'm', modelVersion: '2', outputs, parameters } : { modelName: 'm', modelVersion: '2', outputs };
  await encodeMessage(response, kind, { puid: 'p1', tags: { t: 1 } }, sink);
  return Buffer.concat(sink.finish().chunks).toString('utf8');
}

const label: Tensor = { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([2n ** 53n + 1n, -1n]) };
const proba: Tensor = { name: 'proba', datatype: 'FP64', shape: [2, 2], data: new Float64Array([0.25, 0.75, 1, 1e-5]) };

describe('encodeMessage', () => {
  it('answers a single output as an ndarray or a tensor, with its column names', async () => {
    expect(await encode([proba], 'ndarray')).toBe(`{"data":{"names":["proba:0","proba:1"],"ndarray":[[0.25,0.75],[1.0,1e-05]]},${META}}`);
    expect(await encode([proba], 'tensor')).toBe(`{"data":{"names":["proba:0","proba:1"],"tensor":{"shape":[2,2],"values":[0.25,0.75,1.0,1e-05]}},${META}}`);
    expect(await encode([label], 'strData')).toBe(`{"data":{"names":["label"],"ndarray":[9007199254740993,-1]},${META}}`);
  });

  it('answers BYTES as an ndarray of strings even for a tensor request', async () => {
    const words: Tensor = { name: 'w', datatype: 'BYTES', shape: [1], data: [Buffer.from('hé')] };
    expect(await encode([words], 'tensor')).toBe(`{"data":{"names":["w"],"ndarray":["hé"]},${META}}`);
    expect(await encode([words, { ...label, shape: [1] }], 'tensor')).toBe(`{"data":{"names":["w","label"],"ndarray":[["hé",9007199254740993]]},${META}}`);
  });

  it('answers several outputs as the columns of one table', async () => {
    expect(await encode([label, proba], 'ndarray')).toBe(
      `{"data":{"names":["label","proba:0","proba:1"],"ndarray":[[9007199254740993,0.25,0.75],[-1,1.0,1e-05]]},${META}}`,
    );
    expect(await encode([label, proba], 'tensor')).toBe(
      `{"data":{"names":["label","proba:0","proba:1"],"tensor":{"shape":[2,3],"values":[9007199254740993,0.25,0.75,-1,1.0,1e-05]}},${META}}`,
    );
    const empty = [{ ...label, shape: [0], data: new BigInt64Array() }, { ...proba, shape: [0, 2], data: new Float64Array() }];
    expect(await encode(empty, 'tensor')).toBe(`{"data":{"names":["label","proba:0","proba:1"],"tensor":{"shape":[0,3],"values":[]}},${META}}`);
  });

  it('writes many rows the same, yielding on the way', async () => {
    const n = 3000;
    const a: Tensor = { name: 'a', datatype: 'INT32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i) };
    const rows = Array.from({ length: n }, (_, i) => `[${i},${i}]`).join(',');
    expect(await encode([a, { ...a, name: 'b' }], 'ndarray')).toBe(`{"data":{"names":["a","b"],"ndarray":[${rows}]},${META}}`);
    const wide: Tensor = { name: 'w', datatype: 'UINT8', shape: [1, 5000], data: new Uint8Array(5000) };
    const zeros = `[${new Array(5000).fill(0).join(',')}]`;
    const names = JSON.stringify(Array.from({ length: 5000 }, (_, i) => `w:${i}`));
    for (const sliceUsedUp of [false, true]) {
      expect(await encode([wide], 'ndarray', undefined, sliceUsedUp)).toBe(`{"data":{"names":${names},"ndarray":[${zeros}]},${META}}`);
      expect(await encode([wide], 'tensor', undefined, sliceUsedUp)).toBe(`{"data":{"names":${names},"tensor":{"shape":[1,5000],"values":${zeros}}},${META}}`);
      expect(await encode([wide, { ...wide, name: 'v' }], 'jsonData', undefined, sliceUsedUp)).toBe(`{"jsonData":{"w":[${zeros}],"v":[${zeros}]},${META}}`);
    }
  });

  it('answers a jsonData request with an object of named outputs', async () => {
    expect(await encode([label, proba], 'jsonData')).toBe(`{"jsonData":{"label":[9007199254740993,-1],"proba":[[0.25,0.75],[1.0,1e-05]]},${META}}`);
  });

  it('refuses outputs that make no table', async () => {
    const three: Tensor = { name: 'three', datatype: 'INT32', shape: [3], data: new Int32Array(3) };
    expect(await refusalOf(() => encode([label, three], 'ndarray'))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL',
      message: "model 'm': outputs label [2], three [3] do not make one table (1-D or 2-D with the same rows); use the V2 protocol",
    });
  });

  it('refuses BYTES that are not UTF-8 text, naming the V2 protocol', async () => {
    const raw: Tensor = { name: 'r', datatype: 'BYTES', shape: [1], data: [Uint8Array.from([0xff])] };
    expect(await refusalOf(() => encode([raw], 'ndarray'))).toEqual({
      code: 'FERRY_ERR_OUTPUT_NOT_TEXT',
      message: "output 'r' element 0 is not UTF-8 text, and this answer writes it as a JSON string: the V2 protocol carries bytes as they are (binary tensor extension, or gRPC)",
    });
  });

  it('names the router and the arm that answered a graph in meta.routing', async () => {
    const text = await encode([label], 'ndarray', { ferry_route: 'r1=a,r2=b=c,bad,=x' });
    expect(text).toContain('"routing":{"r1":"a","r2":"b=c"}');
  });
});

describe('responseMeta', () => {
  it('keeps the request\'s puid and tags, and makes a puid when there is none', () => {
    const response = { modelName: 'm', modelVersion: '1' };
    expect(responseMeta(response, { puid: 'x', tags: { a: 'b' } })).toEqual({ puid: 'x', tags: { a: 'b' }, routing: {}, requestPath: { m: 'm:1' }, metrics: [] });
    for (const meta of [{}, { puid: '' }, { puid: 5 }]) {
      expect(responseMeta(response, meta).puid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(responseMeta(response, { tags: null }).tags).toEqual({});
    expect(responseMeta(response, { tags: 'x' }).tags).toEqual({});
    expect(responseMeta({ ...response, parameters: { ferry_route: 5 } }, {}).routing).toEqual({});
  });
});
