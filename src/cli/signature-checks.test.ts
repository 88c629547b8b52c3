import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../runtimes/runtime.ts';
import { mlflowMismatches, outputProblems, signatureProblems } from './signature-checks.ts';

const signature: ModelSignature = {
  platform: 'test',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
};
const y = (shape: number[], n = shape.reduce((a, b) => a * b, 1)) => ({ name: 'y', datatype: 'FP32' as const, shape, data: new Float32Array(n) });
const label = (rows: number) => ({ name: 'label', datatype: 'INT64' as const, shape: [rows], data: new BigInt64Array(rows) });

describe('signatureProblems', () => {
  it('accepts a signature with named inputs and outputs and -1 dimensions', () => {
    expect(signatureProblems(signature)).toEqual([]);
  });

  it('names empty sides, repeated names and invalid dimensions', () => {
    expect(signatureProblems({ platform: 't', inputs: [], outputs: [] })).toEqual(['the signature declares no inputs', 'the signature declares no outputs']);
    expect(signatureProblems({
      platform: 't',
      inputs: [{ name: 'a', datatype: 'FP32', shape: [-2] }, { name: 'a', datatype: 'FP32', shape: [1.5] }],
      outputs: [{ name: '', datatype: 'FP32', shape: [1] }],
    })).toEqual([
      "input 'a' has an invalid shape [-2]",
      "input 'a' is declared more than once",
      "input 'a' has an invalid shape [1.5]",
      'an output has no name',
    ]);
  });
});

describe('outputProblems', () => {
  it('accepts an answer within the declaration, whatever the batch size', () => {
    expect(outputProblems(signature.outputs, [y([3, 2]), label(3)])).toEqual([]);
    expect(outputProblems(signature.outputs, [y([0, 2]), label(0)])).toEqual([]);
  });

  it('names a wrong datatype, a shape outside the declaration, a short buffer, and missing or undeclared outputs', () => {
    expect(outputProblems(signature.outputs, [{ ...y([1, 2]), datatype: 'FP64', data: new Float64Array(2) }, label(1)])).toEqual(["output 'y' is FP64, the signature declares FP32"]);
    expect(outputProblems(signature.outputs, [y([1, 3]), label(1)])).toEqual(["output 'y' has shape [1,3], the signature declares [-1,2]"]);
    expect(outputProblems(signature.outputs, [y([2]), label(1)])).toEqual(["output 'y' has shape [2], the signature declares [-1,2]"]);
    expect(outputProblems(signature.outputs, [y([2, 2], 3), label(2)])).toEqual(["output 'y' holds 3 elements, its shape [2,2] needs 4"]);
    expect(outputProblems(signature.outputs, [y([1, 2])])).toEqual(["the answer lacks output 'label', which the signature declares"]);
    expect(outputProblems(signature.outputs, [y([1, 2]), label(1), { ...label(1), name: 'extra' }])).toEqual(["the answer has output 'extra', which the signature does not declare"]);
  });

  it('does not ask for outputs the request did not ask for', () => {
    expect(outputProblems(signature.outputs, [label(1)], false)).toEqual([]);
  });
});

describe('mlflowMismatches', () => {
  it('refuses different input names and warns of different datatypes', () => {
    expect(mlflowMismatches({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [] }, signature)).toEqual({ problems: [], warnings: [] });
    expect(mlflowMismatches({ inputs: [{ name: 'x', datatype: 'FP64', shape: [-1, 4] }], outputs: [] }, signature))
      .toEqual({ problems: [], warnings: ["MLmodel declares input 'x' as FP64, Ferry serves it as FP32"] });
    expect(mlflowMismatches({ inputs: [{ name: 'z', datatype: 'FP32', shape: [-1, 4] }], outputs: [] }, signature).problems)
      .toEqual(["MLmodel declares input 'z', which Ferry does not serve (inputs: x)", "Ferry serves input 'x', which MLmodel does not declare"]);
  });
});
