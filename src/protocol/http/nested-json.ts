import { ferryError } from '../../errors/index.ts';
import { isJsonObject } from './request-shape.ts';
import {
  checkSpan, DEFAULT_SHAPE_LIMITS, decodeJsonData, elementCount, encodeJsonData, outputText, shapeSpan,
  type Datatype, type ShapeLimits, type Tensor, type TensorData,
} from '../../tensor/index.ts';
import { jsonText } from './exact-json.ts';

const utf8 = new TextEncoder();
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** `{"b64": "..."}`: the one JSON object TF Serving (and Ferry's adapters) read as binary data. */
export function isBase64Object(value: unknown): value is { b64: string } {
  if (!isJsonObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'b64' && typeof (value as { b64: unknown }).b64 === 'string';
}

/** An object of named tensors, as opposed to a `{"b64": ...}` value. */
export function isNamedObject(value: unknown): value is Record<string, unknown> {
  return isJsonObject(value) && !isBase64Object(value);
}

/**
 * The shape of a dense nested JSON list (a scalar has shape []): taken from the first element at each level,
 * then every list is checked against it, so ragged data is an error rather than silently flattened.
 */
export function denseShape(name: string, value: unknown, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): number[] {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (shape.length > limits.maxRank) {
      throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', { what: `tensor '${name}' nests deeper than ${limits.maxRank} lists, which`, limit: `${limits.maxRank} dimensions`, setting: 'limits.max_rank' });
    }
    probe = probe[0];
  }
  checkSpan(name, shape, shapeSpan(shape), limits);
  const check = (node: unknown, level: number, path: string): void => {
    if (!Array.isArray(node)) {
      if (level !== shape.length) ragged(name, shape, `${path} is a value where a list of ${shape[level]} was expected`);
      return;
    }
    if (level === shape.length) ragged(name, shape, `${path} is a list where a value was expected`);
    if (node.length !== shape[level]) ragged(name, shape, `${path} has ${node.length} elements, expected ${shape[level]}`);
    for (let i = 0; i < node.length; i++) check(node[i], level + 1, `${path}[${i}]`);
  };
  check(value, 0, 'value');
  return shape;
}

function ragged(name: string, shape: readonly number[], detail: string): never {
  throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `not a dense tensor of shape [${shape.join(',')}]: ${detail}` });
}

/** A tensor from a nested JSON value; the datatype comes from the model's signature, never from the JSON. */
export function tensorFromNested(name: string, datatype: Datatype, value: unknown, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): Tensor {
  const shape = denseShape(name, value, limits);
  return { name, datatype, shape, data: decodeValues(name, datatype, shape, value) };
}

/** Flat or nested values into typed storage; BYTES also take `{"b64": ...}` objects. */
export function decodeValues(name: string, datatype: Datatype, shape: readonly number[], value: unknown): TensorData {
  if (datatype !== 'BYTES') return decodeJsonData(name, datatype, shape, value);
  const out: Uint8Array[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) visit(item);
    else out.push(bytesOf(name, node));
  };
  visit(value);
  if (out.length !== elementCount(shape)) {
    throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: name, actual: out.length, expected: elementCount(shape), shape: `[${shape.join(',')}]` });
  }
  return out;
}

function bytesOf(name: string, value: unknown): Uint8Array {
  if (typeof value === 'string') {
    // TextEncoder would turn a lone surrogate into U+FFFD: binary data belongs in {"b64": ...}.
    if (!value.isWellFormed()) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: 'a string holds a lone surrogate, which is not Unicode text; send binary data as {"b64": ...}' });
    return utf8.encode(value);
  }
  if (isBase64Object(value)) {
    if (!BASE64.test(value.b64)) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: "a 'b64' value is not valid base64" });
    return new Uint8Array(Buffer.from(value.b64, 'base64'));
  }
  const shown = typeof value === 'object' && value !== null ? 'an object other than {"b64": ...}' : jsonText(value);
  throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${shown} is not a string (BYTES)` });
}

/** How one element of each kind is written; protocols differ only in floats and binary strings. */
export interface JsonStyle {
  readonly float: (value: number, datatype: Datatype) => string;
  /** Whether BYTES elements of this tensor are written as `{"b64": ...}` rather than UTF-8 strings. */
  readonly base64?: (tensor: Tensor) => boolean;
  /** How a client of this protocol gets BYTES that are not UTF-8, named in the refusal of such an element. */
  readonly textAlternative: string;
}

/** Writes element `i` of a tensor as JSON text. */
export function elementWriter(tensor: Tensor, style: JsonStyle): (i: number) => string {
  const { datatype, data } = tensor;
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const values = data as Float32Array | Float64Array;
      return (i) => style.float(values[i]!, datatype);
    }
    case 'FP16':
    case 'BF16': {
      // The tensor codec knows half and bfloat16 bits: its JSON encoder gives the float values.
      const floats = encodeJsonData(datatype, data) as number[];
      return (i) => style.float(floats[i]!, datatype);
    }
    case 'BOOL': {
      const values = data as Uint8Array;
      return (i) => (values[i] ? 'true' : 'false');
    }
    case 'BYTES': {
      const values = data as Uint8Array[];
      if (style.base64?.(tensor)) return (i) => `{"b64":"${Buffer.from(values[i]!).toString('base64')}"}`;
      return (i) => JSON.stringify(outputText(tensor.name, i, values[i]!, style.textAlternative));
    }
    default: {
      const values = data as ArrayLike<number | bigint>;
      return (i) => String(values[i]!);
    }
  }
}

/** Elements per row (product of the dimensions after the first). */
export function rowSize(shape: readonly number[]): number {
  let size = 1;
  for (let i = 1; i < shape.length; i++) size *= shape[i]!;
  return size;
}
