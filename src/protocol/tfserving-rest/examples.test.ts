// TF Serving's classify and regress bodies (https://www.tensorflow.org/tfx/serving/api_rest#classify_and_regress_api):
// `examples` is a list of feature objects, `context` features common to all of them.
import { describe, expect, it } from 'vitest';
import type { TensorMetadata } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { decodeExamples } from './examples.ts';

const inputs: TensorMetadata[] = [
  { name: 'age', datatype: 'FP32', shape: [-1] },
  { name: 'hist', datatype: 'INT64', shape: [-1, 2] },
];
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });

describe('decodeExamples', () => {
  it('makes one row per example: a value or one-element list for [-1], a list of F for [-1, F]', () => {
    const body = { examples: [{ age: 30, hist: [1, 2] }, { age: [40.5], hist: [2n ** 53n + 1n, 0] }] };
    const [age, hist] = decodeExamples('m', 'classify', body, inputs).inputs;
    expect(age!.name).toBe('age');
    expect(age!.datatype).toBe('FP32');
    expect(age!.shape).toEqual([2]);
    expect(values(age!.data)).toEqual([30, 40.5]);
    expect(hist!.shape).toEqual([2, 2]);
    expect(values(hist!.data)).toEqual([1n, 2n, 9007199254740993n, 0n]);
  });

  it('makes a single value of a [-1, 1] input into a one-element row', () => {
    const one: TensorMetadata[] = [{ name: 'v', datatype: 'FP64', shape: [-1, 1] }];
    const [v] = decodeExamples('m', 'regress', { examples: [{ v: 2 }, { v: [3] }] }, one).inputs;
    expect(v!.shape).toEqual([2, 1]);
    expect(values(v!.data)).toEqual([2, 3]);
  });

  it('adds context features to every example', () => {
    const body = { context: { hist: [5, 6] }, examples: [{ age: 1 }, { age: 2 }] };
    const [age, hist] = decodeExamples('m', 'regress', body, inputs).inputs;
    expect(values(age!.data)).toEqual([1, 2]);
    expect(values(hist!.data)).toEqual([5n, 6n, 5n, 6n]);
  });

  it('accepts the signature names of its method', () => {
    for (const signature_name of ['serving_default', '', 'classify', 'tensorflow/serving/classify']) {
      expect(decodeExamples('m', 'classify', { signature_name, examples: [{ age: 1, hist: [1, 2] }] }, inputs).inputs).toHaveLength(2);
    }
    expect(refusal(() => decodeExamples('m', 'classify', { signature_name: 'regress', examples: [{ age: 1, hist: [1, 2] }] }, inputs))).toEqual(
      invalid("serving signature 'regress' not found for model 'm' (it has: serving_default)"),
    );
    expect(decodeExamples('m', 'regress', { signature_name: 'tensorflow/serving/regress', examples: [{ age: 1, hist: [1, 2] }] }, inputs).inputs).toHaveLength(2);
  });

  it('refuses bodies that are not objects of examples', () => {
    expect(refusal(() => decodeExamples('m', 'classify', [], inputs))).toEqual(invalid('the body must be a JSON object'));
    expect(refusal(() => decodeExamples('m', 'classify', { context: [1], examples: [] }, inputs))).toEqual(invalid("'context' must be an object of features"));
    expect(refusal(() => decodeExamples('m', 'regress', { instances: [] }, inputs))).toEqual(invalid("when the method is regress, the key 'examples' is expected"));
    expect(refusal(() => decodeExamples('m', 'classify', { examples: { age: 1 } }, inputs))).toEqual(invalid("'examples' must be a list of objects"));
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [] }, inputs))).toEqual(invalid("'examples' is an empty list"));
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: 1, hist: [1, 2] }, [1]] }, inputs))).toEqual(invalid('example 1 must be an object of features'));
  });

  it('refuses a feature both in the context and in an example', () => {
    expect(refusal(() => decodeExamples('m', 'classify', { context: { age: 1 }, examples: [{ hist: [1, 2] }, { age: 2, hist: [1, 2] }] }, inputs))).toEqual(
      invalid("feature 'age' is in both 'context' and example 1"),
    );
    const long = 'f'.repeat(65);
    expect(refusal(() => decodeExamples('m', 'classify', { context: { [long]: 1 }, examples: [{ [long]: 2 }] }, inputs)).message).toBe(
      `invalid request: feature '${'f'.repeat(64)}' is in both 'context' and example 0`,
    );
  });

  it('refuses unknown and missing features', () => {
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: 1, hist: [1, 2], zip: 5 }] }, inputs))).toEqual({
      code: 'FERRY_ERR_INPUT_UNEXPECTED', message: "model 'm' has no input 'zip' (inputs: age, hist)",
    });
    expect(refusal(() => decodeExamples('m', 'classify', { context: { ['z'.repeat(70)]: 1 }, examples: [{ age: 1, hist: [1, 2] }] }, inputs)).message).toBe(
      `model 'm' has no input '${'z'.repeat(64)}' (inputs: age, hist)`,
    );
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: 1 }] }, inputs))).toEqual({
      code: 'FERRY_ERR_INPUT_MISSING', message: "model 'm' requires input 'hist'",
    });
  });

  it('refuses several values for a one-value input, and inputs of other ranks', () => {
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: [1, 2], hist: [1, 2] }] }, inputs))).toEqual(
      invalid("feature 'age' of example 0 has 2 values; input 'age' takes one per example"),
    );
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: [], hist: [1, 2] }] }, inputs)).message).toBe(
      "invalid request: feature 'age' of example 0 has 0 values; input 'age' takes one per example",
    );
    const image: TensorMetadata[] = [{ name: 'img', datatype: 'FP32', shape: [-1, 2, 2] }];
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ img: [[1, 2], [3, 4]] }] }, image))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL', message: "model 'm': input 'img' has shape [-1,2,2]; examples feed inputs of shape [-1] or [-1, F]",
    });
    const scalar: TensorMetadata[] = [{ name: 's', datatype: 'FP32', shape: [] }];
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ s: 1 }] }, scalar)).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
  });

  it('refuses examples whose lists differ in length, and passes its limits on', () => {
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: 1, hist: [1, 2] }, { age: 1, hist: [1] }] }, inputs)).code).toBe('FERRY_ERR_TENSOR_DATA');
    const limits = { maxRank: 2, maxElements: 4 };
    expect(decodeExamples('m', 'classify', { examples: [{ age: 1, hist: [1, 2] }, { age: 2, hist: [3, 4] }] }, inputs, limits).inputs[1]!.shape).toEqual([2, 2]);
    expect(refusal(() => decodeExamples('m', 'classify', { examples: [{ age: 1, hist: [1, 2, 3] }, { age: 2, hist: [3, 4, 5] }] }, inputs, limits)).code)
      .toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });
});
