import { describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { InferRequest, Tensor, TensorMetadata } from '../tensor/index.ts';
import { applyClassification } from './classification.ts';

const probs: Tensor = { name: 'probs', datatype: 'FP32', shape: [4], data: Float32Array.of(0.1, 0.2, 0.6, 0.1) };
const label: Tensor = { name: 'label', datatype: 'INT64', shape: [1], data: BigInt64Array.of(2n) };
const signature: readonly TensorMetadata[] = [
  { name: 'probs', datatype: 'FP32', shape: [4] },
  { name: 'label', datatype: 'INT64', shape: [1] },
];
const texts = (tensor: Tensor) => (tensor.data as Uint8Array[]).map((b) => new TextDecoder().decode(b));
const asking = (outputs: InferRequest['outputs']): InferRequest => ({ inputs: [], outputs });

describe('applyClassification', () => {
  it('gives back the outputs as they are when no requested output asks for classes', () => {
    const outputs = [probs, label];
    expect(applyClassification(outputs, { inputs: [] }, signature, undefined)).toBe(outputs);
    expect(applyClassification(outputs, asking([]), signature, undefined)).toBe(outputs);
    expect(applyClassification(outputs, asking([{ name: 'probs', parameters: { binary_data: true } }]), signature, undefined)).toBe(outputs);
  });

  it("replaces an output asking for k classes by its top k, highest first, and leaves the others as they are", () => {
    const [classes, untouched] = applyClassification([probs, label], asking([{ name: 'probs', parameters: { classification: 2 } }, { name: 'label' }]), signature, undefined);
    expect(classes!.name).toBe('probs');
    expect(classes!.datatype).toBe('BYTES');
    expect(classes!.shape).toEqual([2]);
    expect(texts(classes!)).toEqual(['0.600000:2', '0.200000:1']);
    expect(untouched).toBe(label);
  });

  it('names classes with the model labels, and gives every class when k is more than there are', () => {
    const [classes] = applyClassification([probs], asking([{ name: 'probs', parameters: { classification: 9 } }]), signature, ['cat', 'dog', 'eel']);
    expect(classes!.shape).toEqual([4]);
    // Equal values rank by lower index; a class beyond the labels has none.
    expect(texts(classes!)).toEqual(['0.600000:2:eel', '0.200000:1:dog', '0.100000:0:cat', '0.100000:3']);
  });

  it('takes one class, and leaves an output alone whose count is 0 or false', () => {
    expect(texts(applyClassification([probs], asking([{ name: 'probs', parameters: { classification: 1 } }]), signature, undefined)[0]!)).toEqual(['0.600000:2']);
    for (const off of [0, false]) {
      const outputs = applyClassification([probs, label], asking([{ name: 'probs', parameters: { classification: off } }, { name: 'label', parameters: { classification: 1 } }]), signature, undefined);
      expect(outputs[0]).toBe(probs);
      expect(texts(outputs[1]!)).toEqual(['2:0']);
    }
  });

  it('leaves an output the request did not name', () => {
    const outputs = applyClassification([probs, label], asking([{ name: 'label', parameters: { classification: 1 } }]), signature, undefined);
    expect(outputs[0]).toBe(probs);
    expect(outputs[1]!.shape).toEqual([1]);
  });

  it('finds the output asking for classes after outputs requested without parameters', () => {
    const outputs = applyClassification([probs, label], asking([{ name: 'label' }, { name: 'probs', parameters: { classification: 1 } }]), signature, undefined);
    expect(texts(outputs[0]!)).toEqual(['0.600000:2']);
    expect(outputs[1]).toBe(label);
  });

  it('refuses a class count that is not a whole number of classes', () => {
    const refusal = (count: unknown) => {
      try {
        applyClassification([probs], asking([{ name: 'probs', parameters: { classification: count as number } }]), signature, undefined);
      } catch (error) {
        return isFerryError(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return 'taken';
    };
    expect(refusal(-1)).toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'classification': the class count of output 'probs' must be a whole number of classes, -1 is not");
    expect(refusal(1.5)).toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'classification': the class count of output 'probs' must be a whole number of classes, 1.5 is not");
    expect(refusal(2 ** 53)).toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'classification': the class count of output 'probs' must be a whole number of classes, 9007199254740992 is not");
    expect(refusal('2')).toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'classification': the class count of output 'probs' must be a whole number of classes, \"2\" is not");
    expect(refusal(true)).toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'classification': the class count of output 'probs' must be a whole number of classes, true is not");
    expect(refusal(2 ** 53 - 1)).toBe('taken');
  });

  it('ranks each row apart when the signature has a dynamic first dimension, and the whole tensor otherwise', () => {
    const rows: Tensor = { name: 'probs', datatype: 'FP32', shape: [2, 3], data: Float32Array.of(0.1, 0.7, 0.2, 0.5, 0.25, 0.25) };
    const request = asking([{ name: 'probs', parameters: { classification: 2 } }]);
    const perRow = applyClassification([rows], request, [{ name: 'probs', datatype: 'FP32', shape: [-1, 3] }], undefined)[0]!;
    expect(perRow.shape).toEqual([2, 2]);
    expect(texts(perRow)).toEqual(['0.700000:1', '0.200000:2', '0.500000:0', '0.250000:1']);
    const fixed = applyClassification([rows], request, [{ name: 'probs', datatype: 'FP32', shape: [2, 3] }], undefined)[0]!;
    expect(fixed.shape).toEqual([2]);
    expect(texts(fixed)).toEqual(['0.700000:1', '0.500000:3']);
    const flat = applyClassification([rows], request, [{ name: 'probs', datatype: 'FP32', shape: [-1] }], undefined)[0]!;
    expect(texts(flat)).toEqual(['0.700000:1', '0.500000:3']);
    // Each output is ranked by its own declared shape, not another output's.
    const declaredAfter = [{ name: 'logits', datatype: 'FP32' as const, shape: [-1, 3] }, { name: 'probs', datatype: 'FP32' as const, shape: [2, 3] }];
    expect(texts(applyClassification([rows], request, declaredAfter, undefined)[0]!)).toEqual(['0.700000:1', '0.500000:3']);
    // An output the signature does not list is ranked by its own shape: [2, 3] has no dynamic dimension.
    expect(texts(applyClassification([rows], request, [], undefined)[0]!)).toEqual(['0.700000:1', '0.500000:3']);
  });
});
