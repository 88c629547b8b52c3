/**
 * How other servers print floats, so that Ferry's answers under their protocols read the same byte for byte.
 * Both styles write the non-finite tokens `NaN`, `Infinity` and `-Infinity` that TF Serving and Python's json
 * module emit (and accept); strict-JSON protocols pass `nonFinite: 'null'` where they need it.
 */

/** C's `%.{precision}g`: shortest of fixed or exponent notation, trailing zeros dropped. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(precision - 1).split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= precision) {
    return `${stripZeros(mantissa)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return stripZeros(value.toFixed(precision - 1 - exponent));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function nonFinite(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/**
 * TF Serving's WriteDecimal: six significant digits when they round-trip at the tensor's precision, else
 * max_digits10 (9 for float, 17 for double); whole numbers get a trailing `.0`.
 */
export function tfServingFloat(value: number, single: boolean): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return Object.is(value, -0) ? '-0.0' : `${value}.0`;
  let text = formatG(value, 6);
  const back = single ? Math.fround(Number(text)) : Number(text);
  if (back !== value) text = formatG(value, single ? 9 : 17);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

/**
 * Python's `repr(float)` as json.dumps writes it (MLflow, Seldon's Python wrapper): the shortest round-trip
 * digits, which JavaScript computes too, laid out with Python's exponent rule (below 1e-4 or from 1e16).
 */
export function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return Object.is(value, -0) ? '-0.0' : `${value}.0`;
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}
