// ModelInferRequest (the Open Inference Protocol's gRPC form) as protobufjs hands it over: proto3 defaults for
// absent fields, 64-bit integers as Long. Each refusal names the field that is wrong.
import { describe, expect, it } from 'vitest';
import { longOf } from '../test-support/long.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { decodeInferRequest } from './decode-request.ts';
import type { WireContents, WireInferRequest, WireInputTensor } from './messages.ts';

const empty: WireContents = {
  bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [],
};
const input = (over: Partial<WireInputTensor> = {}): WireInputTensor => ({
  name: 'x', datatype: 'INT32', shape: [2], parameters: {}, contents: { ...empty, int_contents: [7, -1] }, ...over,
});
const request = (over: Partial<WireInferRequest> = {}): WireInferRequest => ({
  model_name: 'm', model_version: '', id: '', parameters: {}, inputs: [input()], outputs: [], raw_input_contents: [], ...over,
});
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });

describe('decodeInferRequest', () => {
  it('decodes typed contents, with no id, parameters or outputs when none are sent', () => {
    const decoded = decodeInferRequest(request());
    expect(decoded.model).toBe('m');
    expect(decoded.version).toBeUndefined();
    expect(Object.keys(decoded.request)).toEqual(['inputs']);
    const [x] = decoded.request.inputs;
    expect(Object.keys(x!)).toEqual(['name', 'datatype', 'shape', 'data']);
    expect(x!.name).toBe('x');
    expect(x!.datatype).toBe('INT32');
    expect(x!.shape).toEqual([2]);
    expect(values(x!.data)).toEqual([7, -1]);
  });

  it('carries the version, the id, request and input parameters and requested outputs', () => {
    const decoded = decodeInferRequest(request({
      model_version: '3', id: 'r1',
      parameters: { priority: { parameter_choice: 'int64_param', int64_param: longOf(2n) } },
      inputs: [input({ parameters: { note: { parameter_choice: 'string_param', string_param: 'n' } } })],
      outputs: [{ name: 'y', parameters: {} }, { name: 'z', parameters: { classification: { parameter_choice: 'int64_param', int64_param: 2 } } }],
    }));
    expect(decoded.version).toBe('3');
    expect(decoded.request.id).toBe('r1');
    expect(decoded.request.parameters).toEqual({ priority: 2 });
    expect(decoded.request.inputs[0]!.parameters).toEqual({ note: 'n' });
    expect(decoded.request.outputs).toEqual([{ name: 'y' }, { name: 'z', parameters: { classification: 2 } }]);
  });

  it('decodes raw_input_contents, one entry per input in order', () => {
    const decoded = decodeInferRequest(request({
      inputs: [input({ contents: null }), input({ name: 'b', datatype: 'UINT8', shape: [1, 3], contents: null })],
      raw_input_contents: [Uint8Array.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Uint8Array.from([9, 8, 7])],
    }));
    expect(values(decoded.request.inputs[0]!.data)).toEqual([1, -1]);
    expect(decoded.request.inputs[1]!.shape).toEqual([1, 3]);
    expect(values(decoded.request.inputs[1]!.data)).toEqual([9, 8, 7]);
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ contents: null })], raw_input_contents: [Uint8Array.from([1, 0, 0, 0])] })))).toEqual({
      code: 'FERRY_ERR_TENSOR_DATA', message: "tensor 'x': 4 bytes of raw data, shape [2] of INT32 needs 8",
    });
  });

  it('takes shape dimensions as Long, up to the largest allowed', () => {
    const decoded = decodeInferRequest(request({ inputs: [input({ shape: [longOf(1n), longOf(2n)] })] }));
    expect(decoded.request.inputs[0]!.shape).toEqual([1, 2]);
    const limits = { maxRank: 2, maxElements: 2 };
    expect(decodeInferRequest(request({ inputs: [input({ shape: [1, 2] })] }), limits).request.inputs[0]!.shape).toEqual([1, 2]);
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ shape: [1, 1, 2] })] }), limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ shape: [3] })] }), limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });

  it('refuses a dimension beyond 2^53, showing its digits', () => {
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ shape: [longOf(9007199254740993n)] })] })))).toEqual({
      code: 'FERRY_ERR_SHAPE_INVALID', message: "tensor 'x' has an invalid shape [\"9007199254740993\"]",
    });
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ shape: [longOf(-1n)] })] }))).code).toBe('FERRY_ERR_SHAPE_INVALID');
  });

  it('refuses missing names, datatypes, inputs, and a raw_input_contents count other than the inputs', () => {
    expect(refusal(() => decodeInferRequest(request({ model_name: '' })))).toEqual(invalid('model_name is required'));
    expect(refusal(() => decodeInferRequest(request({ inputs: [] })))).toEqual(invalid('inputs must not be empty'));
    expect(refusal(() => decodeInferRequest(request({ inputs: [input(), input({ name: '' })] })))).toEqual(invalid('inputs[1].name must not be empty'));
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ datatype: '' })] })))).toEqual(invalid('inputs[0].datatype must not be empty'));
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ datatype: 'FLOAT'.repeat(10) })] })))).toEqual({
      code: 'FERRY_ERR_DATATYPE_UNKNOWN', message: `unknown datatype '${'FLOAT'.repeat(10).slice(0, 32)}'`,
    });
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ contents: null }), input({ name: 'b', contents: null })], raw_input_contents: [new Uint8Array(8)] })))).toEqual(
      invalid('raw_input_contents has 1 entries for 2 inputs (one per input, in order)'),
    );
    expect(refusal(() => decodeInferRequest(request({ raw_input_contents: [new Uint8Array(8)] })))).toEqual(
      invalid("input 'x' has contents while the request uses raw_input_contents"),
    );
    expect(refusal(() => decodeInferRequest(request({ outputs: [{ name: 'y', parameters: {} }, { name: '', parameters: {} }] })))).toEqual(invalid('outputs[1].name must not be empty'));
  });

  it('refuses typed contents whose count is not the shape\'s', () => {
    expect(refusal(() => decodeInferRequest(request({ inputs: [input({ shape: [3] })] })))).toEqual({
      code: 'FERRY_ERR_TENSOR_DATA', message: "tensor 'x': contents.int_contents has 2 elements, the shape needs 3",
    });
  });
});
