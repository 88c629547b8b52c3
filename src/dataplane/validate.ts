import { ferryError } from '../errors/index.ts';
import type { ModelSignature } from '../runtimes/runtime.ts';
import { elementCount, type InferRequest, type TensorMetadata } from '../tensor/index.ts';

const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

/**
 * Checks a decoded request against the model's signature: every input present once, no unknown inputs, datatypes
 * equal, shapes compatible (-1 matches any size), element counts consistent, requested outputs known.
 */
export function validateRequest(model: string, signature: ModelSignature, request: InferRequest): void {
  const expected = signature.inputs;
  // With a different count, a missing or repeated name is the error to report, before any per-input one; with the
  // same count, every name is found declared below, and only a repeat (hiding a missing input) is left to check.
  const sameCount = request.inputs.length === expected.length;
  if (!sameCount) checkNames(model, expected, request);
  for (let i = 0; i < request.inputs.length; i++) {
    const input = request.inputs[i]!;
    const declared = expected[i]?.name === input.name ? expected[i] : expected.find((t) => t.name === input.name);
    if (!declared) {
      throw ferryError('FERRY_ERR_INPUT_UNEXPECTED', { model, input: input.name, expected: expected.map((t) => t.name).join(', ') });
    }
    if (input.datatype !== declared.datatype) {
      throw ferryError('FERRY_ERR_DATATYPE_MISMATCH', { input: input.name, actual: input.datatype, expected: declared.datatype });
    }
    if (!shapeMatches(input.shape, declared.shape)) {
      throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: input.name, actual: shapeText(input.shape), expected: shapeText(declared.shape) });
    }
    if (input.data.length !== elementCount(input.shape)) {
      throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: input.name, actual: input.data.length, expected: elementCount(input.shape), shape: shapeText(input.shape) });
    }
  }
  if (sameCount) checkNames(model, expected, request);
  if (request.outputs) {
    for (const wanted of request.outputs) {
      if (!signature.outputs.some((o) => o.name === wanted.name)) {
        throw ferryError('FERRY_ERR_OUTPUT_UNKNOWN', { model, output: wanted.name, expected: signature.outputs.map((o) => o.name).join(', ') });
      }
    }
  }
}

function checkNames(model: string, expected: readonly TensorMetadata[], request: InferRequest): void {
  const seen = new Set<string>();
  for (const input of request.inputs) {
    if (seen.has(input.name)) throw ferryError('FERRY_ERR_INPUT_DUPLICATE', { input: input.name });
    seen.add(input.name);
  }
  for (const declared of expected) {
    if (!seen.has(declared.name)) throw ferryError('FERRY_ERR_INPUT_MISSING', { model, input: declared.name });
  }
}

function shapeMatches(actual: readonly number[], declared: readonly number[]): boolean {
  if (actual.length !== declared.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const d = declared[i]!;
    if (d !== -1 && d !== actual[i]) return false;
  }
  return true;
}
