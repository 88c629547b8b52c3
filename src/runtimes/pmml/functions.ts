import type { DataType, Value } from './types.ts';
import { asNumber, compareValues, valuesEqual } from './values.ts';

/**
 * PMML built-in functions for Apply. Each entry says how many arguments it takes, what type it returns, and
 * whether it sees missing arguments itself (otherwise any missing argument makes the result missing).
 */
export interface BuiltIn {
  readonly arity: readonly [min: number, max: number];
  readonly returns: DataType | 'firstArgument' | 'secondArgument';
  readonly handlesMissing?: boolean;
  readonly call: (args: readonly Value[]) => Value;
}

const ANY = Number.POSITIVE_INFINITY;

function num(v: Value): number {
  const n = asNumber(v);
  return n === null ? NaN : n;
}

function numeric1(f: (x: number) => number, returns: DataType = 'double'): BuiltIn {
  return { arity: [1, 1], returns, call: ([x]) => f(num(x!)) };
}

function numeric2(f: (x: number, y: number) => number, returns: DataType = 'double'): BuiltIn {
  return { arity: [2, 2], returns, call: ([x, y]) => f(num(x!), num(y!)) };
}

function aggregate(f: (xs: number[]) => number): BuiltIn {
  return { arity: [1, ANY], returns: 'double', call: (args) => f(args.map(num)) };
}

function compare(test: (c: number) => boolean): BuiltIn {
  return {
    arity: [2, 2],
    returns: 'boolean',
    call: ([x, y]) => {
      const c = compareValues(x!, y!);
      return c === undefined ? null : test(c);
    },
  };
}

function bool(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return v === 'true' || v === '1';
}

/** Java's Math.round: halves round towards positive infinity. */
function javaRound(x: number): number {
  return Math.floor(x + 0.5);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const BUILT_INS: ReadonlyMap<string, BuiltIn> = new Map<string, BuiltIn>([
  ['+', numeric2((x, y) => x + y)],
  ['-', numeric2((x, y) => x - y)],
  ['*', numeric2((x, y) => x * y)],
  ['/', numeric2((x, y) => x / y)],
  ['min', aggregate((xs) => Math.min(...xs))],
  ['max', aggregate((xs) => Math.max(...xs))],
  ['sum', aggregate((xs) => xs.reduce((a, b) => a + b, 0))],
  ['avg', aggregate((xs) => xs.reduce((a, b) => a + b, 0) / xs.length)],
  ['median', aggregate(median)],
  ['product', aggregate((xs) => xs.reduce((a, b) => a * b, 1))],
  ['log10', numeric1(Math.log10)],
  ['ln', numeric1(Math.log)],
  ['ln1p', numeric1(Math.log1p)],
  ['exp', numeric1(Math.exp)],
  ['expm1', numeric1(Math.expm1)],
  ['sqrt', numeric1(Math.sqrt)],
  ['abs', numeric1(Math.abs)],
  ['pow', numeric2(Math.pow)],
  ['threshold', numeric2((x, y) => (x > y ? 1 : 0), 'integer')],
  ['floor', numeric1(Math.floor, 'integer')],
  ['ceil', numeric1(Math.ceil, 'integer')],
  ['round', numeric1(javaRound, 'integer')],
  ['rint', numeric1((x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)))],
  ['modulo', numeric2((x, y) => x - y * Math.floor(x / y))],
  ['sin', numeric1(Math.sin)],
  ['cos', numeric1(Math.cos)],
  ['tan', numeric1(Math.tan)],
  ['asin', numeric1(Math.asin)],
  ['acos', numeric1(Math.acos)],
  ['atan', numeric1(Math.atan)],
  ['atan2', numeric2(Math.atan2)],
  ['sinh', numeric1(Math.sinh)],
  ['cosh', numeric1(Math.cosh)],
  ['tanh', numeric1(Math.tanh)],
  ['hypot', numeric2(Math.hypot)],
  ['isMissing', { arity: [1, 1], returns: 'boolean', handlesMissing: true, call: ([x]) => x === null }],
  ['isNotMissing', { arity: [1, 1], returns: 'boolean', handlesMissing: true, call: ([x]) => x !== null }],
  ['equal', compare((c) => c === 0)],
  ['notEqual', compare((c) => c !== 0)],
  ['lessThan', compare((c) => c < 0)],
  ['lessOrEqual', compare((c) => c <= 0)],
  ['greaterThan', compare((c) => c > 0)],
  ['greaterOrEqual', compare((c) => c >= 0)],
  ['and', { arity: [2, ANY], returns: 'boolean', call: (args) => args.every((a) => bool(a) === true) }],
  ['or', { arity: [2, ANY], returns: 'boolean', call: (args) => args.some((a) => bool(a) === true) }],
  ['not', { arity: [1, 1], returns: 'boolean', call: ([x]) => !bool(x!) }],
  ['isIn', { arity: [2, ANY], returns: 'boolean', call: ([x, ...set]) => set.some((s) => valuesEqual(x!, s)) }],
  ['isNotIn', { arity: [2, ANY], returns: 'boolean', call: ([x, ...set]) => !set.some((s) => valuesEqual(x!, s)) }],
  ['if', {
    arity: [2, 3],
    returns: 'secondArgument',
    handlesMissing: true,
    call: ([test, then, otherwise]) => {
      const t = bool(test!);
      if (t === null) return null;
      return t ? then! : otherwise ?? null;
    },
  }],
  ['uppercase', { arity: [1, 1], returns: 'string', call: ([s]) => String(s).toUpperCase() }],
  ['lowercase', { arity: [1, 1], returns: 'string', call: ([s]) => String(s).toLowerCase() }],
  ['substring', {
    arity: [3, 3],
    returns: 'string',
    call: ([s, start, length]) => {
      const from = Math.max(num(start!) - 1, 0);
      return String(s).substring(from, from + num(length!));
    },
  }],
  ['trimBlanks', { arity: [1, 1], returns: 'string', call: ([s]) => String(s).trim() }],
  ['concat', { arity: [2, ANY], returns: 'string', call: (args) => args.map((a) => (typeof a === 'number' ? String(a) : String(a))).join('') }],
  ['replace', {
    arity: [3, 3],
    returns: 'string',
    call: ([s, pattern, replacement]) => String(s).replace(new RegExp(String(pattern), 'g'), String(replacement)),
  }],
  ['matches', { arity: [2, 2], returns: 'boolean', call: ([s, pattern]) => new RegExp(String(pattern)).test(String(s)) }],
  ['formatNumber', { arity: [2, 2], returns: 'string', call: ([x, pattern]) => formatPrintf(num(x!), String(pattern)) }],
]);

/** A small subset of Java's String.format for one number: %[flags][width][.precision](d|f|e|E|g|s|x|X). */
export function formatPrintf(value: number, pattern: string): string {
  return pattern.replace(/%([-+ 0#,]*)(\d+)?(?:\.(\d+))?([dfeEgsxX%])/g, (_all, flags: string, width?: string, precision?: string, conversion?: string) => {
    if (conversion === '%') return '%';
    const p = precision === undefined ? undefined : Number(precision);
    let body: string;
    switch (conversion) {
      case 'd':
        body = Math.trunc(value).toFixed(0);
        break;
      case 'f':
        body = value.toFixed(p ?? 6);
        break;
      case 'e':
      case 'E': {
        const [mantissa, exponent] = value.toExponential(p ?? 6).split('e') as [string, string];
        const sign = exponent.startsWith('-') ? '-' : '+';
        const digits = exponent.replace(/^[-+]/, '').padStart(2, '0');
        body = `${mantissa}e${sign}${digits}`;
        if (conversion === 'E') body = body.toUpperCase();
        break;
      }
      case 'g':
        body = value.toPrecision(p === 0 ? 1 : p ?? 6);
        break;
      case 'x':
      case 'X':
        body = Math.trunc(value).toString(16);
        if (conversion === 'X') body = body.toUpperCase();
        break;
      default:
        body = String(value);
    }
    if (flags.includes(',')) {
      const [int, frac] = body.split('.') as [string, string | undefined];
      body = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac === undefined ? '' : `.${frac}`);
    }
    if (flags.includes('+') && value >= 0) body = `+${body}`;
    else if (flags.includes(' ') && value >= 0) body = ` ${body}`;
    const w = width === undefined ? 0 : Number(width);
    if (body.length < w) {
      if (flags.includes('-')) body = body.padEnd(w);
      else if (flags.includes('0')) {
        const sign = /^[-+ ]/.test(body) ? body[0]! : '';
        body = sign + body.slice(sign.length).padStart(w - sign.length, '0');
      } else body = body.padStart(w);
    }
    return body;
  });
}
