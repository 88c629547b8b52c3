import { allocate, BIGINT_RANGES, float32ToBfloat16Bits, float32ToHalfBits, INTEGER_RANGES, type Datatype, type TensorData } from '../../tensor/index.ts';

const utf8 = new TextEncoder();

/** Thrown with what is wrong with one value; the caller adds the file, row and column. */
export class CellError extends Error {}

/**
 * Copies cell values into a tensor's storage of `datatype`. CSV cells are text: an empty cell is a missing value
 * (NaN in a float tensor, as tabular runtimes read it), numbers are parsed, `true`/`false`/`1`/`0` are booleans.
 * JSON values (JSONL, Parquet) are taken as they are, `null` being missing.
 */
export function toElements(datatype: Datatype, values: readonly unknown[]): TensorData {
  const out = allocate(datatype, values.length);
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const target = out as Float32Array | Float64Array;
      for (let i = 0; i < values.length; i++) target[i] = toFloat(values[i], i);
      return out;
    }
    case 'FP16':
    case 'BF16': {
      const target = out as Uint16Array;
      const bits = datatype === 'FP16' ? float32ToHalfBits : float32ToBfloat16Bits;
      for (let i = 0; i < values.length; i++) target[i] = bits(toFloat(values[i], i));
      return out;
    }
    case 'BOOL': {
      const target = out as Uint8Array;
      for (let i = 0; i < values.length; i++) target[i] = toBool(values[i], i);
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const target = out as BigInt64Array | BigUint64Array;
      const [min, max] = BIGINT_RANGES[datatype];
      for (let i = 0; i < values.length; i++) {
        const big = toBigInt(values[i], i, datatype);
        if (big < min || big > max) throw new CellError(at(i, `${String(values[i])} is outside the range of ${datatype}`));
        target[i] = big;
      }
      return out;
    }
    case 'BYTES': {
      const target = out as Uint8Array[];
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === null || v === undefined) target[i] = new Uint8Array(0);
        else if (typeof v === 'string') target[i] = utf8.encode(v);
        else if (v instanceof Uint8Array) target[i] = v;
        else target[i] = utf8.encode(typeof v === 'object' ? JSON.stringify(v) : String(v as number));
      }
      return out;
    }
    default: {
      const [min, max] = INTEGER_RANGES[datatype]!;
      const target = out as Int32Array;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        const n = typeof v === 'string' ? (v.trim() === '' ? NaN : Number(v)) : typeof v === 'bigint' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isInteger(n)) throw new CellError(at(i, `${describe(v)} is not an integer (${datatype})`));
        if (n < min || n > max) throw new CellError(at(i, `${n} is outside the range of ${datatype}`));
        target[i] = n;
      }
      return out;
    }
  }
}

/** The index of the failing value within the values given, read back by the caller to name the row. */
export function failedIndex(error: CellError): number {
  return Number(/^#(\d+) /.exec(error.message)?.[1] ?? 0);
}

/** The message without its index. */
export function cellDetail(error: CellError): string {
  return error.message.replace(/^#\d+ /, '');
}

const at = (index: number, detail: string) => `#${index} ${detail}`;

function toFloat(v: unknown, i: number): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'string') {
    if (v === '') return NaN;
    const n = Number(v);
    // Number() reads blank text as 0: a blank cell is a missing value.
    if (n === 0 && v.trim() === '') return NaN;
    if (!Number.isNaN(n)) return n;
    const word = v.trim().toLowerCase();
    if (word === 'nan' || word === 'na' || word === 'null' || word === '') return NaN;
    if (word === 'inf' || word === 'infinity' || word === '+inf') return Infinity;
    if (word === '-inf' || word === '-infinity') return -Infinity;
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new CellError(at(i, `${describe(v)} is not a number`));
}

function toBool(v: unknown, i: number): number {
  if (v === true || v === 1 || v === 1n) return 1;
  if (v === false || v === 0 || v === 0n) return 0;
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (word === 'true' || word === '1') return 1;
    if (word === 'false' || word === '0') return 0;
  }
  throw new CellError(at(i, `${describe(v)} is not a boolean (true, false, 1 or 0)`));
}

function toBigInt(v: unknown, i: number, datatype: Datatype): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return BigInt(v.trim());
  throw new CellError(at(i, `${describe(v)} is not an exact integer (${datatype})`));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === undefined) return 'a missing value';
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v as number);
}
