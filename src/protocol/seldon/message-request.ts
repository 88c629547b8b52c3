import { ferryError } from '../../errors/index.ts';
import {
  checkShape, DEFAULT_SHAPE_LIMITS, elementCount, type InferRequest, type ShapeLimits, type Tensor, type TensorMetadata,
} from '../../tensor/index.ts';
import { decodeValues, denseShape, tensorFromNested } from '../http/nested-json.ts';
import { tableToInputs } from '../http/table-inputs.ts';
import { isJsonObject, invalidRequest } from '../http/request-shape.ts';

/** Which SeldonMessage payload a request used; the response answers in the same one. */
export type PayloadKind = 'ndarray' | 'tensor' | 'strData' | 'binData' | 'jsonData';

export interface DecodedMessage {
  readonly kind: PayloadKind;
  readonly request: InferRequest;
  readonly meta: Readonly<Record<string, unknown>>;
}

const PAYLOADS = ['data', 'strData', 'binData', 'jsonData', 'customData'] as const;

/**
 * Decodes a SeldonMessage against the model's inputs. `data.ndarray` / `data.tensor` feed a single input
 * directly (an [n, 1] array also feeds a [-1] input), or, for a model with several inputs, are read as a table
 * whose columns (`data.names`) map onto the inputs. `strData` / `binData` feed a model with one BYTES input;
 * `jsonData` is an object of named inputs. Anything else is a clear 400.
 */
export function decodeMessage(model: string, body: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): DecodedMessage {
  if (!isJsonObject(body)) throw invalidRequest('a SeldonMessage must be a JSON object');
  const meta = body['meta'] ?? {};
  if (!isJsonObject(meta)) throw invalidRequest("'meta' must be an object");
  const present = PAYLOADS.filter((key) => body[key] !== undefined);
  if (present.length !== 1) {
    throw invalidRequest(present.length === 0 ? 'a SeldonMessage needs one of data, strData, binData or jsonData' : `a SeldonMessage has one payload, this one has ${present.join(', ')}`);
  }
  const key = present[0]!;
  switch (key) {
    case 'data':
      return decodeData(model, body['data'], inputs, meta, limits);
    case 'strData':
    case 'binData':
      return { kind: key, request: { inputs: [singleBytes(model, key, body[key], inputs)] }, meta };
    case 'jsonData':
      return { kind: key, request: { inputs: namedInputs(model, body[key], inputs, limits) }, meta };
    default:
      throw unsupported(model, 'customData (protobuf Any) is not supported over REST');
  }
}

function decodeData(model: string, data: unknown, inputs: readonly TensorMetadata[], meta: Record<string, unknown>, limits: ShapeLimits): DecodedMessage {
  if (!isJsonObject(data)) throw invalidRequest("'data' must be an object");
  const names = data['names'];
  if (names !== undefined && (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))) throw invalidRequest("'data.names' must be a list of strings");
  if (data['tftensor'] !== undefined) throw unsupported(model, "'data.tftensor' is not supported; send 'data.ndarray' or 'data.tensor'");
  let kind: 'ndarray' | 'tensor';
  let values: unknown;
  let shape: number[];
  if (data['ndarray'] !== undefined) {
    if (data['tensor'] !== undefined) throw invalidRequest("'data' has both 'ndarray' and 'tensor'");
    kind = 'ndarray';
    values = data['ndarray'];
    if (!Array.isArray(values)) throw invalidRequest("'data.ndarray' must be a list");
    shape = denseShape(inputs.length === 1 ? inputs[0]!.name : 'ndarray', values, limits);
  } else if (data['tensor'] !== undefined) {
    kind = 'tensor';
    ({ values, shape } = readTensor(data['tensor'], limits));
  } else {
    throw invalidRequest("'data' needs 'ndarray' or 'tensor'");
  }
  const columns = names && names.length > 0 ? (names as string[]) : undefined;
  if (inputs.length === 1) return { kind, request: { inputs: [singleInput(inputs[0]!, values, shape)] }, meta };
  if (shape.length !== 2) throw invalidRequest(`model '${model}' takes ${inputs.length} inputs: send a 2-D table (rows of ${inputs.length} values), not shape [${shape.join(',')}]`);
  // A table of rows without columns feeds no input: refused before a row list is made for it.
  if (shape[1] === 0) throw invalidRequest(`model '${model}' takes ${inputs.length} inputs: a table of shape [${shape.join(',')}] has no columns`);
  const rows = kind === 'ndarray' ? (values as unknown[][]) : toRows(values as unknown[], shape);
  return { kind, request: { inputs: tableToInputs(model, inputs, { columns, rows }) }, meta };
}

/** `data.tensor`: a shape and the values flattened row-major. */
function readTensor(tensor: unknown, limits: ShapeLimits): { values: unknown[]; shape: number[] } {
  if (!isJsonObject(tensor)) throw invalidRequest("'data.tensor' must be an object with 'shape' and 'values'");
  const { values } = tensor;
  const shape = checkShape('data.tensor', tensor['shape'], limits);
  if (!Array.isArray(values)) throw invalidRequest("'data.tensor.values' must be a list of numbers");
  const expected = elementCount(shape);
  if (values.length !== expected) {
    throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: 'data.tensor', actual: values.length, expected, shape: `[${shape.join(',')}]` });
  }
  return { values, shape };
}

function singleInput(input: TensorMetadata, values: unknown, shape: readonly number[]): Tensor {
  // Rows of one value ([[1], [2]]) feed a 1-D input, as Seldon's numpy-based wrappers allow.
  const dims = input.shape.length === 1 && shape.length === 2 && shape[1] === 1 ? [shape[0]!] : [...shape];
  return { name: input.name, datatype: input.datatype, shape: dims, data: decodeValues(input.name, input.datatype, dims, values) };
}

function toRows(values: readonly unknown[], shape: readonly number[]): unknown[][] {
  const [rows, width] = shape as [number, number];
  return Array.from({ length: rows }, (_, r) => values.slice(r * width, (r + 1) * width));
}

function singleBytes(model: string, key: 'strData' | 'binData', value: unknown, inputs: readonly TensorMetadata[]): Tensor {
  const input = inputs.length === 1 ? inputs[0]! : undefined;
  if (!input || input.datatype !== 'BYTES' || input.shape.length !== 1) {
    throw unsupported(model, `${key} needs a model with one BYTES input of shape [-1]; this model takes ${describe(inputs)}`);
  }
  if (typeof value !== 'string') throw invalidRequest(`'${key}' must be a string${key === 'binData' ? ' (base64)' : ''}`);
  const element = key === 'binData' ? { b64: value } : value;
  return { name: input.name, datatype: 'BYTES', shape: [1], data: decodeValues(input.name, 'BYTES', [1], [element]) };
}

function namedInputs(model: string, value: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits): Tensor[] {
  if (!isJsonObject(value) || !inputs.every((input) => input.name in value) || Object.keys(value).length !== inputs.length) {
    throw unsupported(model, `jsonData must be an object of the model's inputs (${inputs.map((i) => i.name).join(', ')}), each a nested list`);
  }
  return inputs.map((input) => tensorFromNested(input.name, input.datatype, value[input.name], limits));
}

function describe(inputs: readonly TensorMetadata[]): string {
  return inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(',')}]`).join(', ');
}

function unsupported(model: string, detail: string) {
  return ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail });
}
