// TF Serving's REST predict body (https://www.tensorflow.org/tfx/serving/api_rest#predict_api): `instances` is the
// row format (a list of rows, each a value or an object of named inputs), `inputs` the columnar format (a value,
// or an object of named inputs, with the batch inside each value). Datatypes come from the model's signature.
import { describe, expect, it } from 'vitest';
import type { TensorMetadata } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { checkSignatureName, decodePredict } from './predict-request.ts';

const single: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }];
const two: TensorMetadata[] = [
  { name: 'tag', datatype: 'BYTES', shape: [-1] },
  { name: 'signal', datatype: 'INT64', shape: [-1, 2] },
];
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });

describe('the row format (instances)', () => {
  it('stacks rows of the single input into its batch', () => {
    const decoded = decodePredict('m', { instances: [[1, 2], [3, 4.5]] }, single);
    expect(decoded.format).toBe('row');
    const [x] = decoded.request.inputs;
    expect(x!.name).toBe('x');
    expect(x!.datatype).toBe('FP32');
    expect(x!.shape).toEqual([2, 2]);
    expect(values(x!.data)).toEqual([1, 2, 3, 4.5]);
    expect(decoded.request.inputs).toHaveLength(1);
  });

  it('takes one row, and rows of {"b64": ...} as values rather than named objects', () => {
    expect(decodePredict('m', { instances: [[5, 6]] }, single).request.inputs[0]!.shape).toEqual([1, 2]);
    const bytes: TensorMetadata[] = [{ name: 'b', datatype: 'BYTES', shape: [-1] }];
    const [b] = decodePredict('m', { instances: [{ b64: 'AAE=' }, 'hi'] }, bytes).request.inputs;
    expect(b!.shape).toEqual([2]);
    expect((b!.data as Uint8Array[]).map((v) => Array.from(v))).toEqual([[0, 1], [104, 105]]);
  });

  it('gathers objects of named inputs into one tensor per input, in signature order', () => {
    const body = { instances: [{ signal: [2n ** 53n + 1n, -1], tag: 'a' }, { tag: 'b', signal: [0, 7] }] };
    const [tag, signal] = decodePredict('m', body, two).request.inputs;
    expect(tag!.name).toBe('tag');
    expect(tag!.shape).toEqual([2]);
    expect((tag!.data as Uint8Array[]).map((v) => Buffer.from(v).toString())).toEqual(['a', 'b']);
    expect(signal!.name).toBe('signal');
    expect(signal!.shape).toEqual([2, 2]);
    expect(values(signal!.data)).toEqual([9007199254740993n, -1n, 0n, 7n]);
  });

  it('refuses what is not a non-empty list, and mixes of values and objects', () => {
    expect(refusal(() => decodePredict('m', { instances: { x: 1 } }, single))).toEqual(invalid("'instances' must be a list"));
    expect(refusal(() => decodePredict('m', { instances: [] }, single))).toEqual(invalid("no values in 'instances' list"));
    expect(refusal(() => decodePredict('m', { instances: [[1, 2], { x: [1, 2] }] }, single))).toEqual(invalid("'instances' mixes values and objects: item 1 is an object"));
    expect(refusal(() => decodePredict('m', { instances: [{ tag: 'a', signal: [1, 2] }, 'b'] }, two))).toEqual(invalid("'instances' mixes objects and values: item 1 is not an object"));
  });

  it('refuses a plain list for a model of several inputs, naming them', () => {
    expect(refusal(() => decodePredict('m', { instances: ['a', 'b'] }, two))).toEqual(
      invalid("'instances' is a plain list, but model 'm' takes 2 inputs (tag, signal): send a list of objects"),
    );
  });

  it('refuses objects with an unknown input or without one of the inputs', () => {
    expect(refusal(() => decodePredict('m', { instances: [{ tag: 'a', signal: [1, 2], extra: 1 }] }, two))).toEqual({
      code: 'FERRY_ERR_INPUT_UNEXPECTED', message: "model 'm' has no input 'extra' (inputs: tag, signal)",
    });
    expect(refusal(() => decodePredict('m', { instances: [{ tag: 'a', signal: [1, 2] }, { tag: 'b' }] }, two))).toEqual(
      invalid("item 1 of 'instances' lacks input 'signal' (each object must have: tag, signal)"),
    );
    expect(refusal(() => decodePredict('m', { instances: [{ ['k'.repeat(70)]: 1 }] }, two)).message).toBe(
      `model 'm' has no input '${'k'.repeat(64)}' (inputs: tag, signal)`,
    );
  });

  it('refuses ragged rows and passes its limits on', () => {
    expect(refusal(() => decodePredict('m', { instances: [[1, 2], [3]] }, single)).code).toBe('FERRY_ERR_TENSOR_DATA');
    const limits = { maxRank: 2, maxElements: 4 };
    expect(decodePredict('m', { instances: [[1, 2], [3, 4]] }, single, limits).request.inputs[0]!.shape).toEqual([2, 2]);
    expect(refusal(() => decodePredict('m', { instances: [[1, 2], [3, 4], [5, 6]] }, single, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodePredict('m', { instances: [{ tag: 'a', signal: [[1]] }] }, two, { maxRank: 2, maxElements: 100 })).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodePredict('m', { inputs: [[[1]]] }, single, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodePredict('m', { inputs: { tag: ['a'], signal: [[[1]]] } }, two, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });
});

describe('the columnar format (inputs)', () => {
  it('takes the single input\'s value as it is, batch included', () => {
    const decoded = decodePredict('m', { inputs: [[1, 2]] }, single);
    expect(decoded.format).toBe('columnar');
    expect(decoded.request.inputs[0]!.shape).toEqual([1, 2]);
    expect(values(decoded.request.inputs[0]!.data)).toEqual([1, 2]);
    const scalar = decodePredict('m', { inputs: 3 }, [{ name: 's', datatype: 'INT32', shape: [] }]).request.inputs[0]!;
    expect(scalar.shape).toEqual([]);
    expect(values(scalar.data)).toEqual([3]);
  });

  it('takes an object of named inputs, each with its own shape', () => {
    const [tag, signal] = decodePredict('m', { inputs: { signal: [[1, 2]], tag: ['z'] } }, two).request.inputs;
    expect(tag!.name).toBe('tag');
    expect(tag!.shape).toEqual([1]);
    expect(signal!.shape).toEqual([1, 2]);
    expect(values(signal!.data)).toEqual([1n, 2n]);
  });

  it('refuses a plain value for several inputs, unknown inputs and missing ones', () => {
    expect(refusal(() => decodePredict('m', { inputs: ['a'] }, two))).toEqual(
      invalid("'inputs' is a plain value/list, but model 'm' takes 2 inputs (tag, signal): send an object"),
    );
    expect(refusal(() => decodePredict('m', { inputs: { tag: ['a'], signal: [[1, 2]], other: [1] } }, two))).toEqual({
      code: 'FERRY_ERR_INPUT_UNEXPECTED', message: "model 'm' has no input 'other' (inputs: tag, signal)",
    });
    expect(refusal(() => decodePredict('m', { inputs: { ['o'.repeat(65)]: 1 } }, two)).message).toBe(`model 'm' has no input '${'o'.repeat(64)}' (inputs: tag, signal)`);
    expect(refusal(() => decodePredict('m', { inputs: { tag: ['a'] } }, two))).toEqual({
      code: 'FERRY_ERR_INPUT_MISSING', message: "model 'm' requires input 'signal'",
    });
  });
});

describe('the body', () => {
  it('refuses what is not an object, both formats at once, and neither', () => {
    expect(refusal(() => decodePredict('m', [1], single))).toEqual(invalid('the body must be a JSON object'));
    expect(refusal(() => decodePredict('m', null, single))).toEqual(invalid('the body must be a JSON object'));
    expect(refusal(() => decodePredict('m', { instances: [[1, 2]], inputs: [[1, 2]] }, single))).toEqual(
      invalid("a request has 'instances' (row format) or 'inputs' (columnar format), not both"),
    );
    expect(refusal(() => decodePredict('m', {}, single))).toEqual(invalid("missing 'inputs' or 'instances' key"));
    expect(refusal(() => decodePredict('m', { instances: null }, single))).toEqual(invalid("'instances' must be a list"));
  });

  it('takes serving_default or the empty signature name, and refuses others', () => {
    expect(decodePredict('m', { signature_name: 'serving_default', inputs: [[1, 2]] }, single).format).toBe('columnar');
    expect(decodePredict('m', { signature_name: '', instances: [[1, 2]] }, single).format).toBe('row');
    expect(refusal(() => decodePredict('m', { signature_name: 'predict', inputs: [[1, 2]] }, single))).toEqual(
      invalid("serving signature 'predict' not found for model 'm' (it has: serving_default)"),
    );
  });
});

describe('checkSignatureName', () => {
  it('accepts no name, serving_default and the names given, and refuses other strings and non-strings', () => {
    expect(checkSignatureName('m', undefined, [])).toBeUndefined();
    expect(checkSignatureName('m', 'serving_default', [])).toBeUndefined();
    expect(checkSignatureName('m', 'classify', ['classify'])).toBeUndefined();
    expect(refusal(() => checkSignatureName('m', '', []))).toEqual(invalid("serving signature '' not found for model 'm' (it has: serving_default)"));
    expect(refusal(() => checkSignatureName('m', 1, ['']))).toEqual(invalid("'signature_name' must be a string"));
    expect(refusal(() => checkSignatureName('m', null, ['']))).toEqual(invalid("'signature_name' must be a string"));
    expect(refusal(() => checkSignatureName('m', 's'.repeat(65), [])).message).toBe(
      `invalid request: serving signature '${'s'.repeat(64)}' not found for model 'm' (it has: serving_default)`,
    );
  });
});
