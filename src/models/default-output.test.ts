import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import { defaultOutputFor } from './default-output.ts';

const signature: ModelSignature = {
  platform: 'test',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 2, 3] },
    { name: 'score', datatype: 'FP64', shape: [-1, -1] },
  ],
};

function request(rows: number): InferRequest {
  return { inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 4], data: new Float32Array(rows * 4) }] };
}

describe('default output of a request that missed its deadline', () => {
  it('repeats each output row once per request row, in the declared datatype and shape', () => {
    const answer = defaultOutputFor('m', signature, { label: 7, probabilities: [[0.5, 0.25, 0.25], [1, 0, 0]] })(request(2));
    expect(answer.outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([7n, 7n]) },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2, 3], data: new Float32Array([0.5, 0.25, 0.25, 1, 0, 0, 0.5, 0.25, 0.25, 1, 0, 0]) },
    ]);
  });

  it('takes a dynamic dimension after the batch as 1, and one row for a request without inputs', () => {
    const answer = defaultOutputFor('m', signature, { score: [0.5] });
    expect(answer(request(3)).outputs).toEqual([{ name: 'score', datatype: 'FP64', shape: [3, 1], data: new Float64Array([0.5, 0.5, 0.5]) }]);
    expect(answer({ inputs: [] }).outputs).toEqual([{ name: 'score', datatype: 'FP64', shape: [1, 1], data: new Float64Array([0.5]) }]);
    expect(answer(request(0)).outputs).toEqual([{ name: 'score', datatype: 'FP64', shape: [0, 1], data: new Float64Array([]) }]);
  });

  it('refuses at load an output the model does not have, listing those it has', () => {
    expect(() => defaultOutputFor('m', signature, { lable: 1 })).toThrow(
      "failed to load model 'm': default_output names 'lable', which is not an output (outputs: label, probabilities, score)",
    );
  });

  it('refuses at load a row value of the wrong size', () => {
    expect(() => defaultOutputFor('m', signature, { probabilities: [0.5, 0.5] })).toThrow(
      "failed to load model 'm': default_output 'probabilities' needs 6 values per row, has 2",
    );
    expect(() => defaultOutputFor('m', signature, { label: [1, 2] })).toThrow("default_output 'label' needs 1 values per row, has 2");
  });
});
