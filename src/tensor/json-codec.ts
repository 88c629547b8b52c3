import { ferryError } from '../errors/index.ts';
import {
  allocate, BIGINT_RANGES, INTEGER_RANGES, isBigIntType, type Datatype, type TensorData,
} from './datatype.ts';
import { elementCount } from './tensor.ts';
import { bfloat16BitsToFloat, float32ToBfloat16Bits, float32ToHalfBits, halfBitsToFloat } from './half.ts';
import { utf8Text } from './bytes-text.ts';

const utf8 = new TextEncoder();
/** Tensors have at most 64 dimensions (the most limits.max_rank allows); deeper nesting is malformed, and recursion must stay bounded. */
const MAX_NESTING = 65;

/**
 * Decodes JSON tensor data (flat or nested, row-major) straight into typed storage.
 * The element count must be the one `shape` requires. 64-bit integers are exact: they come as safe integers, as
 * bigints (integer literals beyond 2^53, which an exact JSON parser keeps whole) or as decimal strings; a number
 * beyond 2^53 that was already rounded to a double is refused, never stored rounded.
 */
export function decodeJsonData(name: string, datatype: Datatype, shape: readonly number[], data: unknown): TensorData {
  const count = elementCount(shape);
  const out = allocate(datatype, count);
  const write = writerFor(name, datatype, out);
  let index = 0;
  const visit = (value: unknown, depth = 0): void => {
    if (Array.isArray(value)) {
      if (depth > MAX_NESTING) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `data nested deeper than ${MAX_NESTING} levels` });
      for (let i = 0; i < value.length; i++) visit(value[i], depth + 1);
      return;
    }
    if (index >= count) {
      index++;
      return;
    }
    write(index, value);
    index++;
  };
  if (Array.isArray(data)) {
    // Fast path for the common flat numeric array: no recursion per element.
    const flat = data.length > 0 && !Array.isArray(data[0]);
    if (flat) {
      for (let i = 0; i < data.length; i++) {
        const value: unknown = data[i];
        if (Array.isArray(value)) visit(value, 1); // one level below `data`, as in the nested path
        else if (index < count) write(index++, value);
        else index++;
      }
    } else visit(data);
  } else if (data !== undefined) {
    visit(data);
  } else {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: "missing 'data'" });
  }
  if (index !== count) {
    throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: name, actual: index, expected: count, shape: `[${shape.join(',')}]` });
  }
  return out;
}

type Writer = (index: number, value: unknown) => void;

function writerFor(name: string, datatype: Datatype, out: TensorData): Writer {
  const bad = (value: unknown, what: string): never => {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${describe(value)} is not ${what}` });
  };
  switch (datatype) {
    case 'BOOL': {
      const target = out as Uint8Array;
      return (i, v) => {
        if (v === true || v === 1) target[i] = 1;
        else if (v === false || v === 0) target[i] = 0;
        else bad(v, 'a boolean');
      };
    }
    case 'FP32':
    case 'FP64': {
      const target = out as Float32Array | Float64Array;
      return (i, v) => {
        target[i] = typeof v === 'number' ? v : toFloat(v, bad);
      };
    }
    case 'FP16': {
      const target = out as Uint16Array;
      return (i, v) => {
        target[i] = float32ToHalfBits(typeof v === 'number' ? v : toFloat(v, bad));
      };
    }
    case 'BF16': {
      const target = out as Uint16Array;
      return (i, v) => {
        target[i] = float32ToBfloat16Bits(typeof v === 'number' ? v : toFloat(v, bad));
      };
    }
    case 'INT64':
    case 'UINT64': {
      const target = out as BigInt64Array | BigUint64Array;
      const [min, max] = BIGINT_RANGES[datatype];
      return (i, v) => {
        let big: bigint;
        if (typeof v === 'bigint') big = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
        else if (typeof v === 'string' && /^-?\d+$/.test(v)) big = BigInt(v); // exact 64-bit values sent as strings
        else if (typeof v === 'number' && Number.isInteger(v)) return bad(v, `an exact ${datatype}: beyond 2^53 write an integer literal, without fraction or exponent`);
        else return bad(v, `an integer (${datatype})`);
        if (big < min || big > max) bad(v, `within the range of ${datatype}`);
        target[i] = big;
      };
    }
    case 'BYTES': {
      const target = out as Uint8Array[];
      return (i, v) => {
        if (typeof v === 'string') {
          // TextEncoder would turn a lone surrogate ("\ud800") into U+FFFD: refuse it instead.
          if (!v.isWellFormed()) bad(v, 'well-formed Unicode text (it holds a lone surrogate)');
          target[i] = utf8.encode(v);
        } else if (v === null) target[i] = new Uint8Array(0); // a missing value, as null is in float tensors
        else bad(v, 'a string');
      };
    }
    default: {
      const range = INTEGER_RANGES[datatype]!;
      const target = out as Exclude<TensorData, Uint8Array[] | BigInt64Array | BigUint64Array>;
      const [min, max] = range;
      return (i, v) => {
        // Integral floats (1.0) arrive as the number 1 after JSON.parse, so they pass this check.
        if (typeof v === 'bigint') return bad(v, `within the range of ${datatype}`);
        if (typeof v !== 'number' || !Number.isInteger(v)) return bad(v, `an integer (${datatype})`);
        if (v < min || v > max) bad(v, `within the range of ${datatype}`);
        target[i] = v;
      };
    }
  }
}

function toFloat(value: unknown, bad: (v: unknown, what: string) => never): number {
  if (value === null) return NaN; // JSON has no NaN: null stands for a missing value
  if (typeof value === 'bigint') return Number(value); // a long integer literal, rounded once as JSON.parse would
  if (typeof value === 'string') {
    if (value === 'NaN' || value === 'nan') return NaN;
    if (value === 'Infinity' || value === 'inf') return Infinity;
    if (value === '-Infinity' || value === '-inf') return -Infinity;
  }
  return bad(value, 'a number');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * JSON-ready flat values of a tensor: BYTES as the strings their UTF-8 spells (an element that is not UTF-8 is
 * refused), 64-bit integers as numbers when exact, else as decimal strings.
 */
export function encodeJsonData(datatype: Datatype, data: TensorData): unknown[] {
  if (datatype === 'BYTES') {
    return (data as Uint8Array[]).map((bytes, i) => {
      const text = utf8Text(bytes);
      if (text === undefined) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: '', detail: `element ${i} is not UTF-8 text` });
      return text;
    });
  }
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (datatype === 'FP16') return Array.from(data as Uint16Array, halfBitsToFloat);
  if (datatype === 'BF16') return Array.from(data as Uint16Array, bfloat16BitsToFloat);
  if (isBigIntType(datatype)) {
    return Array.from(data as BigInt64Array, (v) => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString()));
  }
  return Array.from(data as Float64Array);
}
