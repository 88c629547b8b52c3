import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { convertible, convertInputs, expectedDatatype } from './convert-inputs.ts';

const converting: ModelSignature = {
  platform: 'p',
  inputs: [
    { name: 'f32', datatype: 'FP32', shape: [-1] },
    { name: 'f64', datatype: 'FP64', shape: [-1] },
    { name: 'ids', datatype: 'INT64', shape: [-1] },
    { name: 'names', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [],
  numericInputs: 'convert',
};
const strict: ModelSignature = { ...converting, numericInputs: undefined };

describe('convertible', () => {
  it('takes any numeric datatype for an FP32 or FP64 input of a model that converts, and nothing else', () => {
    expect(convertible(converting, 'INT32', 'FP32')).toBe(true);
    expect(convertible(converting, 'BOOL', 'FP64')).toBe(true);
    expect(convertible(converting, 'UINT64', 'FP32')).toBe(true);
    expect(convertible(converting, 'FP16', 'FP64')).toBe(true);
    expect(convertible(converting, 'BYTES', 'FP32')).toBe(false);
    expect(convertible(converting, 'INT32', 'INT64')).toBe(false);
    expect(convertible(converting, 'FP32', 'FP16')).toBe(false);
    expect(convertible(converting, 'FP32', 'BF16')).toBe(false);
    expect(convertible(strict, 'INT32', 'FP32')).toBe(false);
    expect(convertible({}, 'INT32', 'FP64')).toBe(false);
  });
});

describe('expectedDatatype', () => {
  it('names the declared datatype, or any numeric one for a float input the model converts', () => {
    expect(expectedDatatype(strict, 'FP32')).toBe('FP32');
    expect(expectedDatatype(converting, 'INT64')).toBe('INT64');
    expect(expectedDatatype(converting, 'BYTES')).toBe('BYTES');
    expect(expectedDatatype(converting, 'FP32')).toBe('a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in FP32)');
    expect(expectedDatatype(converting, 'FP64')).toBe('a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in FP64)');
  });
});

describe('convertInputs', () => {
  const tensor = (name: string, datatype: Tensor['datatype'], data: Tensor['data']): Tensor => ({ name, datatype, shape: [data.length], data });

  it('gives back the request itself when the model does not convert or every input is already as declared', () => {
    const ints: InferRequest = { inputs: [tensor('f32', 'INT32', Int32Array.of(1, 2))] };
    expect(convertInputs(strict, ints)).toBe(ints);
    const declared: InferRequest = {
      inputs: [tensor('f32', 'FP32', Float32Array.of(1)), tensor('ids', 'INT64', BigInt64Array.of(7n)), tensor('names', 'BYTES', [Uint8Array.of(97)])],
    };
    expect(convertInputs(converting, declared)).toBe(declared);
    const empty: InferRequest = { inputs: [] };
    expect(convertInputs(converting, empty)).toBe(empty);
  });

  it('converts each float input sent in another datatype to the declared one, exactly, and keeps the rest of the request', () => {
    const ids = tensor('ids', 'INT64', BigInt64Array.of(5n));
    const request: InferRequest = {
      id: 'r1',
      parameters: { p: 1 },
      outputs: [{ name: 'out' }],
      inputs: [tensor('f64', 'INT64', BigInt64Array.of(2n ** 53n + 1n, -3n)), ids, tensor('f32', 'BOOL', Uint8Array.of(1, 0, 1))],
    };
    const converted = convertInputs(converting, request);
    expect(converted).not.toBe(request);
    expect(converted.id).toBe('r1');
    expect(converted.parameters).toEqual({ p: 1 });
    expect(converted.outputs).toEqual([{ name: 'out' }]);
    expect(converted.inputs.map((t) => t.name)).toEqual(['f64', 'ids', 'f32']);
    expect(converted.inputs[0]).toEqual({ name: 'f64', datatype: 'FP64', shape: [2], data: Float64Array.of(2 ** 53, -3) });
    expect(converted.inputs[0]!.data).toBeInstanceOf(Float64Array);
    expect(converted.inputs[1]).toBe(ids);
    expect(converted.inputs[2]).toEqual({ name: 'f32', datatype: 'FP32', shape: [3], data: Float32Array.of(1, 0, 1) });
    expect(converted.inputs[2]!.data).toBeInstanceOf(Float32Array);
    // The request as it came is left alone (a payload log or a cache may read it).
    expect(request.inputs[0]!.datatype).toBe('INT64');
    expect(request.inputs[2]!.datatype).toBe('BOOL');
  });

  it('converts a single input given as the last one, rounding to FP32 once', () => {
    const request: InferRequest = { inputs: [tensor('f64', 'FP64', Float64Array.of(0.5)), tensor('f32', 'INT32', Int32Array.of(16_777_217, -1))] };
    const converted = convertInputs(converting, request);
    expect(converted.inputs[0]).toBe(request.inputs[0]);
    expect(converted.inputs[1]).toEqual({ name: 'f32', datatype: 'FP32', shape: [2], data: Float32Array.of(16_777_216, -1) });
  });

  it('leaves an input declared as an integer as it came, whatever its datatype', () => {
    const request: InferRequest = { inputs: [tensor('ids', 'INT32', Int32Array.of(3))] };
    expect(convertInputs(converting, request)).toBe(request);
  });
});
