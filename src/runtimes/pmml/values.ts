import type { DataType, OpType, Value } from './types.ts';

const NUMERIC: ReadonlySet<string> = new Set(['integer', 'float', 'double']);

export function isNumericType(dataType: DataType): boolean {
  return NUMERIC.has(dataType);
}

export function parseDataType(text: string | undefined): DataType | undefined {
  if (text === 'string' || text === 'integer' || text === 'float' || text === 'double' || text === 'boolean') return text;
  return undefined;
}

export function parseOpType(text: string | undefined): OpType | undefined {
  if (text === 'categorical' || text === 'ordinal' || text === 'continuous') return text;
  return undefined;
}

/**
 * Converts a value to a data type. Returns undefined when the value cannot be represented (an invalid value),
 * null when it is missing.
 */
export function castValue(value: Value, dataType: DataType): Value | undefined {
  if (value === null) return null;
  switch (dataType) {
    case 'string':
      return typeof value === 'number' ? formatNumber(value) : String(value);
    case 'double': {
      const n = toNumber(value);
      return n === undefined ? undefined : n;
    }
    case 'float': {
      const n = toNumber(value);
      return n === undefined ? undefined : Math.fround(n);
    }
    case 'integer': {
      const n = toNumber(value);
      if (n === undefined || !Number.isInteger(n)) return undefined;
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
      if (value === 'true' || value === '1' || value === '1.0') return true;
      if (value === 'false' || value === '0' || value === '0.0') return false;
      return undefined;
  }
}

/** Parses text from the document (attributes, Array cells) as a value of the given type. */
export function parseValue(text: string, dataType: DataType): Value | undefined {
  return castValue(text, dataType);
}

function toNumber(value: Value): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (text === 'NaN') return NaN;
  if (text === 'INF' || text === 'Infinity') return Infinity;
  if (text === '-INF' || text === '-Infinity') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** Numbers print like Java doubles for integral values ("1" not "1.0") so categories match either way. */
export function formatNumber(value: number): string {
  return String(value);
}

/** A canonical key for maps of categories and entities: numbers by value, everything else by text. */
export function valueKey(value: Value): string {
  if (value === null) return '\u0000missing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const n = Number(value);
  // Categories written "1.0" and "1" are the same category of a numeric field.
  return value.trim() !== '' && !Number.isNaN(n) && /^[-+]?[0-9.eE+-]+$/.test(value.trim()) ? String(n) : value;
}

/** Three-way compare for predicates; undefined when the values are not comparable. */
export function compareValues(a: Value, b: Value): number | undefined {
  if (a === null || b === null) return undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : toNumber(a);
    const y = typeof b === 'number' ? b : toNumber(b);
    if (x === undefined || y === undefined) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = castValue(a, 'boolean');
    const y = castValue(b, 'boolean');
    if (typeof x !== 'boolean' || typeof y !== 'boolean') return undefined;
    return Number(x) - Number(y);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function valuesEqual(a: Value, b: Value): boolean {
  return compareValues(a, b) === 0;
}

export function asNumber(value: Value): number | null {
  if (value === null) return null;
  const n = toNumber(value);
  return n === undefined ? null : n;
}
