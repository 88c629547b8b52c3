// SeldonMessage requests (https://docs.seldon.io/projects/seldon-core/en/latest/reference/apis/prediction.html):
// one payload of data (ndarray, or tensor with shape and flat values, with optional names), strData, binData or
// jsonData, and an optional meta object.
import { describe, expect, it } from 'vitest';
import type { TensorMetadata } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { decodeMessage } from './message-request.ts';

const one: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }];
const column: TensorMetadata[] = [{ name: 'v', datatype: 'INT64', shape: [-1] }];
const pair: TensorMetadata[] = [
  { name: 'a', datatype: 'FP64', shape: [-1] },
  { name: 'b', datatype: 'INT64', shape: [-1] },
];
const text: TensorMetadata[] = [{ name: 't', datatype: 'BYTES', shape: [-1] }];
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });
const unsupported = (detail: string) => ({ code: 'FERRY_ERR_UNSUPPORTED_MODEL', message: `model 'm': ${detail}` });

describe('data.ndarray', () => {
  it('feeds the single input as it is, and answers in the same payload', () => {
    const decoded = decodeMessage('m', { data: { ndarray: [[1, 2], [3, 4.5]] } }, one);
    expect(decoded.kind).toBe('ndarray');
    expect(decoded.meta).toEqual({});
    const [x] = decoded.request.inputs;
    expect(x!.name).toBe('x');
    expect(x!.datatype).toBe('FP32');
    expect(x!.shape).toEqual([2, 2]);
    expect(values(x!.data)).toEqual([1, 2, 3, 4.5]);
  });

  it('feeds rows of one value to a 1-D input, and keeps INT64 beyond 2^53', () => {
    const [v] = decodeMessage('m', { data: { ndarray: [[2n ** 53n + 1n], [-1]] } }, column).request.inputs;
    expect(v!.shape).toEqual([2]);
    expect(values(v!.data)).toEqual([9007199254740993n, -1n]);
    const [w] = decodeMessage('m', { data: { ndarray: [[1, 2]] } }, [{ name: 'w', datatype: 'INT64', shape: [-1] }]).request.inputs;
    expect(w!.shape).toEqual([1, 2]);
    const [u] = decodeMessage('m', { data: { ndarray: [[7]] } }, [{ name: 'u', datatype: 'INT64', shape: [-1, 1] }]).request.inputs;
    expect(u!.shape).toEqual([1, 1]);
    const [d] = decodeMessage('m', { data: { ndarray: [[[7]]] } }, column).request.inputs;
    expect(d!.shape).toEqual([1, 1, 1]);
    expect(values(d!.data)).toEqual([7n]);
  });

  it('reads a table for several inputs, by data.names or by position', () => {
    const byName = decodeMessage('m', { data: { names: ['b', 'a'], ndarray: [[1, 0.5], [2, 1.5]] } }, pair).request.inputs;
    expect(byName.map((t) => t.name)).toEqual(['a', 'b']);
    expect(values(byName[0]!.data)).toEqual([0.5, 1.5]);
    expect(values(byName[1]!.data)).toEqual([1n, 2n]);
    const byPosition = decodeMessage('m', { data: { names: [], ndarray: [[0.5, 1]] } }, pair).request.inputs;
    expect(values(byPosition[0]!.data)).toEqual([0.5]);
    expect(values(byPosition[1]!.data)).toEqual([1n]);
  });

  it('refuses a table that is not 2-D, or has no columns, for several inputs', () => {
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [1, 2] } }, pair))).toEqual(
      invalid("model 'm' takes 2 inputs: send a 2-D table (rows of 2 values), not shape [2]"),
    );
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[[1, 2]]] } }, pair)).message).toBe(
      "invalid request: model 'm' takes 2 inputs: send a 2-D table (rows of 2 values), not shape [1,1,2]",
    );
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[], []] } }, pair))).toEqual(
      invalid("model 'm' takes 2 inputs: a table of shape [2,0] has no columns"),
    );
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[1, 2, 3]] } }, pair)).message).toBe(
      "invalid request: model 'm' takes 2 inputs (a, b), the table has 3 columns",
    );
  });

  it('names the input in its shape errors for one input, and the payload for several', () => {
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[1, 2], [3]] } }, one)).message).toBe(
      "tensor 'x': not a dense tensor of shape [2,2]: value[1] has 1 elements, expected 2",
    );
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[1, 2], [3]] } }, pair)).message).toBe(
      "tensor 'ndarray': not a dense tensor of shape [2,2]: value[1] has 1 elements, expected 2",
    );
  });

  it('passes its limits on', () => {
    const limits = { maxRank: 2, maxElements: 4 };
    expect(decodeMessage('m', { data: { ndarray: [[1, 2], [3, 4]] } }, one, limits).request.inputs[0]!.shape).toEqual([2, 2]);
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[[1]]] } }, one, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeMessage('m', { data: { tensor: { shape: [5], values: [1, 2, 3, 4, 5] } } }, column, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeMessage('m', { jsonData: { v: [[[1]]] } }, column, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });
});

describe('data.tensor', () => {
  it('reads the shape and the row-major values', () => {
    const decoded = decodeMessage('m', { data: { tensor: { shape: [2, 2], values: [1, 2, 3, 4] } } }, one);
    expect(decoded.kind).toBe('tensor');
    expect(decoded.request.inputs[0]!.shape).toEqual([2, 2]);
    expect(values(decoded.request.inputs[0]!.data)).toEqual([1, 2, 3, 4]);
    const [v] = decodeMessage('m', { data: { tensor: { shape: [2, 1], values: [5, 6] } } }, column).request.inputs;
    expect(v!.shape).toEqual([2]);
  });

  it('cuts the values into rows for a table of several inputs', () => {
    const [a, b] = decodeMessage('m', { data: { names: ['a', 'b'], tensor: { shape: [3, 2], values: [0.5, 1, 1.5, 2, 2.5, 3] } } }, pair).request.inputs;
    expect(values(a!.data)).toEqual([0.5, 1.5, 2.5]);
    expect(values(b!.data)).toEqual([1n, 2n, 3n]);
  });

  it('refuses a tensor without shape and values of the same size', () => {
    expect(refusal(() => decodeMessage('m', { data: { tensor: [1] } }, one))).toEqual(invalid("'data.tensor' must be an object with 'shape' and 'values'"));
    expect(refusal(() => decodeMessage('m', { data: { tensor: { shape: [2, -1], values: [] } } }, one))).toEqual({
      code: 'FERRY_ERR_SHAPE_INVALID', message: "tensor 'data.tensor' has an invalid shape [2,-1]",
    });
    expect(refusal(() => decodeMessage('m', { data: { tensor: { shape: [2] } } }, column))).toEqual(invalid("'data.tensor.values' must be a list of numbers"));
    expect(refusal(() => decodeMessage('m', { data: { tensor: { shape: [2, 2], values: [1, 2, 3] } } }, one))).toEqual({
      code: 'FERRY_ERR_ELEMENT_COUNT', message: "tensor 'data.tensor' has 3 elements, its shape [2,2] needs 4",
    });
  });
});

describe('data', () => {
  it('refuses data that is not an object, names that are not strings, tftensor, two payloads and none', () => {
    expect(refusal(() => decodeMessage('m', { data: [1] }, one))).toEqual(invalid("'data' must be an object"));
    expect(refusal(() => decodeMessage('m', { data: { names: 'a', ndarray: [[1, 2]] } }, one))).toEqual(invalid("'data.names' must be a list of strings"));
    expect(refusal(() => decodeMessage('m', { data: { names: ['a', 1], ndarray: [[1, 2]] } }, one))).toEqual(invalid("'data.names' must be a list of strings"));
    expect(refusal(() => decodeMessage('m', { data: { tftensor: {} } }, one))).toEqual(unsupported("'data.tftensor' is not supported; send 'data.ndarray' or 'data.tensor'"));
    expect(refusal(() => decodeMessage('m', { data: { ndarray: [[1, 2]], tensor: { shape: [1, 2], values: [1, 2] } } }, one))).toEqual(
      invalid("'data' has both 'ndarray' and 'tensor'"),
    );
    expect(refusal(() => decodeMessage('m', { data: { names: ['x'] } }, one))).toEqual(invalid("'data' needs 'ndarray' or 'tensor'"));
    expect(refusal(() => decodeMessage('m', { data: { ndarray: { x: 1 } } }, one))).toEqual(invalid("'data.ndarray' must be a list"));
  });
});

describe('strData, binData, jsonData and meta', () => {
  it('feeds strData and binData to one BYTES input as one element', () => {
    const str = decodeMessage('m', { strData: 'héllo' }, text);
    expect(str.kind).toBe('strData');
    expect(str.request.inputs[0]!.name).toBe('t');
    expect(str.request.inputs[0]!.datatype).toBe('BYTES');
    expect(str.request.inputs[0]!.shape).toEqual([1]);
    expect(Buffer.from((str.request.inputs[0]!.data as Uint8Array[])[0]!).toString()).toBe('héllo');
    const bin = decodeMessage('m', { binData: '/wA=' }, text);
    expect(bin.kind).toBe('binData');
    expect(Array.from((bin.request.inputs[0]!.data as Uint8Array[])[0]!)).toEqual([255, 0]);
  });

  it('refuses strData and binData for other models and for values that are not strings', () => {
    const detail = (key: string, described: string) => unsupported(`${key} needs a model with one BYTES input of shape [-1]; this model takes ${described}`);
    expect(refusal(() => decodeMessage('m', { strData: 'a' }, one))).toEqual(detail('strData', 'x FP32 [-1,2]'));
    expect(refusal(() => decodeMessage('m', { strData: 'a' }, [{ name: 'f', datatype: 'FP32', shape: [-1] }]))).toEqual(detail('strData', 'f FP32 [-1]'));
    expect(refusal(() => decodeMessage('m', { binData: 'AA==' }, [...text, ...text]))).toEqual(detail('binData', 't BYTES [-1], t BYTES [-1]'));
    expect(refusal(() => decodeMessage('m', { strData: 'a' }, [{ name: 't', datatype: 'BYTES', shape: [-1, 1] }]))).toEqual(detail('strData', 't BYTES [-1,1]'));
    expect(refusal(() => decodeMessage('m', { strData: 1 }, text))).toEqual(invalid("'strData' must be a string"));
    expect(refusal(() => decodeMessage('m', { binData: 1 }, text))).toEqual(invalid("'binData' must be a string (base64)"));
    expect(refusal(() => decodeMessage('m', { binData: 'A' }, text)).message).toBe("tensor 't': a 'b64' value is not valid base64");
  });

  it('feeds jsonData, an object of exactly the inputs, each a nested list', () => {
    const decoded = decodeMessage('m', { jsonData: { b: [1, 2n ** 53n + 1n], a: [0.5, 1] }, meta: { puid: 'p' } }, pair);
    expect(decoded.kind).toBe('jsonData');
    expect(decoded.meta).toEqual({ puid: 'p' });
    expect(decoded.request.inputs.map((t) => t.name)).toEqual(['a', 'b']);
    expect(values(decoded.request.inputs[1]!.data)).toEqual([1n, 9007199254740993n]);
    const refused = unsupported("jsonData must be an object of the model's inputs (a, b), each a nested list");
    expect(refusal(() => decodeMessage('m', { jsonData: [1] }, pair))).toEqual(refused);
    expect(refusal(() => decodeMessage('m', { jsonData: { a: [1] } }, pair))).toEqual(refused);
    expect(refusal(() => decodeMessage('m', { jsonData: { a: [1], b: [1], c: [1] } }, pair))).toEqual(refused);
    expect(refusal(() => decodeMessage('m', { jsonData: { a: [1], c: [1] } }, pair))).toEqual(refused);
    expect(refusal(() => decodeMessage('m', { jsonData: 'ab' }, pair))).toEqual(refused);
    expect(refusal(() => decodeMessage('m', { jsonData: 5 }, pair))).toEqual(refused);
  });

  it('refuses customData, bodies that are not objects, meta that is not an object, and payload counts other than one', () => {
    expect(refusal(() => decodeMessage('m', { customData: {} }, one))).toEqual(unsupported('customData (protobuf Any) is not supported over REST'));
    expect(refusal(() => decodeMessage('m', [], one))).toEqual(invalid('a SeldonMessage must be a JSON object'));
    expect(refusal(() => decodeMessage('m', { meta: [], strData: 'a' }, text))).toEqual(invalid("'meta' must be an object"));
    expect(refusal(() => decodeMessage('m', { meta: 'x', strData: 'a' }, text))).toEqual(invalid("'meta' must be an object"));
    expect(decodeMessage('m', { meta: null, strData: 'a' }, text).meta).toEqual({});
    expect(refusal(() => decodeMessage('m', { meta: {} }, one))).toEqual(invalid('a SeldonMessage needs one of data, strData, binData or jsonData'));
    expect(refusal(() => decodeMessage('m', { strData: 'a', jsonData: {} }, text))).toEqual(invalid('a SeldonMessage has one payload, this one has strData, jsonData'));
    expect(refusal(() => decodeMessage('m', { data: {}, binData: 'AA==', customData: {} }, text))).toEqual(
      invalid('a SeldonMessage has one payload, this one has data, binData, customData'),
    );
  });
});
