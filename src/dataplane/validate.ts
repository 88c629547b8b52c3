import { ferryError } from '../errors/index.ts';
import type { ModelSignature } from '../runtimes/runtime.ts';
import { elementCount, unreadableBytes, type InferRequest, type Tensor, type TensorMetadata } from '../tensor/index.ts';
import { convertible, expectedDatatype } from './convert-inputs.ts';

const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

/**
 * Checks a decoded request against the model's signature: every input present once, no unknown inputs, datatypes
 * equal (or numeric for an input the model converts: convert-inputs.ts), shapes compatible (-1 matches any size), at
 * most `maxRows` rows along the first dimension, element counts consistent, BYTES elements readable by the model,
 * requested outputs known and named once.
 */
export function validateRequest(model: string, signature: ModelSignature, request: InferRequest, maxRows?: number): void {
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
    if (input.datatype !== declared.datatype && !convertible(signature, input.datatype, declared.datatype)) {
      throw ferryError('FERRY_ERR_DATATYPE_MISMATCH', { input: input.name, actual: input.datatype, expected: expectedDatatype(signature, declared.datatype) });
    }
    if (!shapeMatches(input.shape, declared.shape)) {
      throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: input.name, actual: shapeText(input.shape), expected: shapeText(declared.shape) });
    }
    const rows = input.shape[0];
    if (maxRows !== undefined && rows !== undefined && rows > maxRows) {
      throw ferryError('FERRY_ERR_BATCH_TOO_LARGE', { model, max: maxRows, input: input.name, rows });
    }
    if (input.data.length !== elementCount(input.shape)) {
      throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: input.name, actual: input.data.length, expected: elementCount(input.shape), shape: shapeText(input.shape) });
    }
    if (signature.bytesInputs && input.datatype === 'BYTES') checkReadable(model, signature, input);
  }
  if (sameCount) checkNames(model, expected, request);
  if (request.outputs) {
    const seen = new Set<string>();
    for (const wanted of request.outputs) {
      if (!signature.outputs.some((o) => o.name === wanted.name)) {
        throw ferryError('FERRY_ERR_OUTPUT_UNKNOWN', { model, output: wanted.name, expected: signature.outputs.map((o) => o.name).join(', ') });
      }
      if (seen.has(wanted.name)) throw ferryError('FERRY_ERR_OUTPUT_DUPLICATE', { output: wanted.name });
      seen.add(wanted.name);
    }
  }
}

const READS = {
  'text': 'it reads BYTES inputs as UTF-8 text',
  'c-string': 'it reads BYTES inputs as UTF-8 text that ends at the first NUL byte',
} as const;

function checkReadable(model: string, signature: ModelSignature, input: Tensor): void {
  const reading = signature.bytesInputs!;
  const elements = input.data as Uint8Array[];
  for (let i = 0; i < elements.length; i++) {
    const problem = unreadableBytes(elements[i]!, reading);
    if (problem) throw ferryError('FERRY_ERR_BYTES_UNREADABLE', { input: input.name, index: i, problem, model, reason: `${READS[reading]} (${signature.platform})` });
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

/**
 * An input or output that names a shared-memory region (Triton's shared-memory extensions) would be read from or
 * written to memory Ferry never touches: refused, never answered with data that went elsewhere.
 */
export function refuseSharedMemory(request: InferRequest): void {
  const named = [...request.inputs, ...(request.outputs ?? [])].find((t) => t.parameters?.['shared_memory_region'] !== undefined);
  if (named !== undefined) {
    throw ferryError('FERRY_ERR_EXTENSION_UNSUPPORTED', {
      extension: 'shared memory',
      detail: `'${named.name}' names the region '${String(named.parameters!['shared_memory_region']).slice(0, 64)}'; tensors travel in the request and response bodies`,
    });
  }
}
