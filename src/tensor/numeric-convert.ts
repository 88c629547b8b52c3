import type { Datatype, TensorData } from './datatype.ts';
import { bfloat16BitsToFloat, halfBitsToFloat } from './half.ts';

/** The float datatypes a numeric tensor can be converted to. */
export type FloatTarget = 'FP32' | 'FP64';

/** Datatypes holding numbers (BOOL as 0/1): every one but BYTES. */
export function isNumericDatatype(datatype: Datatype): boolean {
  return datatype !== 'BYTES';
}

/**
 * Converts numeric elements to FP32 or FP64 as numpy's `astype` (and so XGBoost, LightGBM and scikit-learn) does:
 * exactly where the target holds the value (any 8/16/32-bit integer, BOOL, FP16, BF16 and FP32 into FP64; 8/16-bit
 * integers, BOOL, FP16 and BF16 into FP32), else rounded once to the nearest value, ties to even (64-bit integers
 * beyond 2^53 into FP64; 32/64-bit integers beyond 2^24 and FP64 into FP32, where FP64 beyond the FP32 range is
 * ±Infinity). NaN stays NaN (a missing value).
 */
export function convertToFloat(datatype: Datatype, data: TensorData, target: FloatTarget): Float32Array | Float64Array {
  if (Array.isArray(data)) throw new TypeError(`${datatype} elements are not numbers`);
  const length = data.length;
  const out = target === 'FP32' ? new Float32Array(length) : new Float64Array(length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    if (target === 'FP64') for (let i = 0; i < length; i++) out[i] = Number(data[i]!); // Number() rounds to nearest, ties to even
    else for (let i = 0; i < length; i++) out[i] = bigintToFloat32(data[i]!);
    return out;
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    const bits = data as Uint16Array;
    const decode = datatype === 'FP16' ? halfBitsToFloat : bfloat16BitsToFloat;
    for (let i = 0; i < length; i++) out[i] = decode(bits[i]!);
    return out;
  }
  // Every other storage holds numbers a double represents exactly; a Float32Array rounds them once on store.
  out.set(data as ArrayLike<number>);
  return out;
}

/**
 * A 64-bit integer rounded once to float32 (nearest, ties to even). Number() would round to 53 bits first, and a
 * second rounding from there can land on the other side of a float32 tie.
 */
export function bigintToFloat32(value: bigint): number {
  const magnitude = value < 0n ? -value : value;
  if (magnitude <= 2n ** 53n) return Math.fround(Number(value));
  const shift = BigInt(magnitude.toString(2).length - 24);
  let mantissa = magnitude >> shift;
  const remainder = magnitude - (mantissa << shift);
  const half = 1n << (shift - 1n);
  if (remainder > half || (remainder === half && (mantissa & 1n) === 1n)) mantissa += 1n;
  const rounded = Number(mantissa) * 2 ** Number(shift); // exact: at most 25 significant bits
  return Math.fround(value < 0n ? -rounded : rounded);
}
