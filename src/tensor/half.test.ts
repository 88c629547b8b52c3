// FP16 is IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits); BF16 is the top 16 bits of a float32. The
// expected bits are written out from those layouts, rounding to nearest, ties to even.
import { describe, expect, it } from 'vitest';
import { bfloat16BitsToFloat, float32ToBfloat16Bits, float32ToHalfBits, halfBitsToFloat } from './half.ts';

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const halfOf = (value: number) => hex(float32ToHalfBits(value));
const bfloatOf = (value: number) => hex(float32ToBfloat16Bits(value));
/** A NaN with the given float64 bits (JavaScript's own NaN has no sign). */
const nanWithBits = (high: number, low: number) => new Float64Array(new Uint32Array([low, high]).buffer)[0]!;

describe('float32 to FP16 bits', () => {
  it('encodes normal numbers, zeros, infinities and NaN', () => {
    expect(halfOf(1)).toBe('0x3c00');
    expect(halfOf(-2)).toBe('0xc000');
    expect(halfOf(0.5)).toBe('0x3800');
    expect(halfOf(65504)).toBe('0x7bff');
    expect(halfOf(0)).toBe('0x0000');
    expect(halfOf(-0)).toBe('0x8000');
    expect(halfOf(Infinity)).toBe('0x7c00');
    expect(halfOf(-Infinity)).toBe('0xfc00');
    expect(halfOf(NaN)).toBe('0x7e00');
  });

  it('overflows to infinity from the first value past the largest half', () => {
    expect(halfOf(65519)).toBe('0x7bff'); // below the midpoint to 65536
    expect(halfOf(65520)).toBe('0x7c00'); // the midpoint, rounded to even: infinity
    expect(halfOf(65536)).toBe('0x7c00');
    expect(halfOf(98304)).toBe('0x7c00'); // 1.5 × 2^16: infinity, not a NaN
    expect(halfOf(1e10)).toBe('0x7c00');
    expect(halfOf(-1e10)).toBe('0xfc00');
  });

  it('rounds normal numbers to nearest, ties to even', () => {
    expect(halfOf(1 + 2 ** -11)).toBe('0x3c00'); // tie, even stays
    expect(halfOf(1 + 3 * 2 ** -11)).toBe('0x3c02'); // tie, odd rounds up
    expect(halfOf(1 + 2 ** -11 + 2 ** -20)).toBe('0x3c01'); // above the tie
    expect(halfOf(1 + 2 ** -11 - 2 ** -20)).toBe('0x3c00'); // below the tie
  });

  it('encodes subnormals, rounding to nearest, ties to even', () => {
    expect(halfOf(2 ** -14)).toBe('0x0400'); // smallest normal
    expect(halfOf(2 ** -15)).toBe('0x0200'); // largest power of two below it: subnormal
    expect(halfOf(2 ** -24)).toBe('0x0001'); // smallest subnormal
    expect(halfOf(-3 * 2 ** -24)).toBe('0x8003');
    expect(halfOf(1.25 * 2 ** -24)).toBe('0x0001');
    expect(halfOf(1.75 * 2 ** -24)).toBe('0x0002');
    expect(halfOf(1.5 * 2 ** -24)).toBe('0x0002'); // tie, odd rounds up
    expect(halfOf(2.5 * 2 ** -24)).toBe('0x0002'); // tie, even stays
    expect(halfOf(3.5 * 2 ** -24)).toBe('0x0004');
  });

  it('underflows to a signed zero below half the smallest subnormal', () => {
    expect(halfOf(2 ** -25)).toBe('0x0000'); // the tie with 0: to even
    expect(halfOf(1.5 * 2 ** -25)).toBe('0x0001'); // above the tie
    expect(halfOf(2 ** -26)).toBe('0x0000');
    expect(halfOf(1e-10)).toBe('0x0000');
    expect(halfOf(-1e-10)).toBe('0x8000');
    expect(halfOf(1e-30)).toBe('0x0000');
  });
});

describe('FP16 bits to numbers', () => {
  it('decodes normals, subnormals, signed zeros, infinities and NaN', () => {
    expect(halfBitsToFloat(0x3c00)).toBe(1);
    expect(halfBitsToFloat(0xc000)).toBe(-2);
    expect(halfBitsToFloat(0x7bff)).toBe(65504);
    expect(halfBitsToFloat(0x0400)).toBe(2 ** -14);
    expect(halfBitsToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfBitsToFloat(0x0001)).toBe(2 ** -24);
    expect(halfBitsToFloat(0x8003)).toBe(-3 * 2 ** -24);
    expect(Object.is(halfBitsToFloat(0x0000), 0)).toBe(true);
    expect(Object.is(halfBitsToFloat(0x8000), -0)).toBe(true);
    expect(halfBitsToFloat(0x7c00)).toBe(Infinity);
    expect(halfBitsToFloat(0xfc00)).toBe(-Infinity);
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
    expect(halfBitsToFloat(0x7c01)).toBeNaN();
    expect(halfBitsToFloat(0xfe00)).toBeNaN();
  });
});

describe('BF16', () => {
  it('keeps the top 16 bits of the float32, rounded to nearest, ties to even', () => {
    expect(bfloatOf(1)).toBe('0x3f80');
    expect(bfloatOf(-2)).toBe('0xc000');
    expect(bfloatOf(1.00390625)).toBe('0x3f80'); // 0x3f808000: tie, even stays
    expect(bfloatOf(1.01171875)).toBe('0x3f82'); // 0x3f818000: tie, odd rounds up
    expect(bfloatOf(1.0078125 + 2 ** -9)).toBe('0x3f81');
    expect(bfloatOf(Infinity)).toBe('0x7f80');
    expect(bfloatOf(-Infinity)).toBe('0xff80');
    expect(bfloatOf(3.4e38)).toBe('0x7f80'); // past the largest bfloat16: infinity
  });

  it('writes every NaN as the quiet NaN 0x7fc0, whatever its sign and payload', () => {
    expect(bfloatOf(NaN)).toBe('0x7fc0');
    expect(bfloatOf(nanWithBits(0xfff80000, 0))).toBe('0x7fc0'); // negative NaN
    expect(bfloatOf(nanWithBits(0x7fffffff, 0xffffffff))).toBe('0x7fc0'); // all payload bits set
  });

  it('decodes bits as the top half of a float32', () => {
    expect(bfloat16BitsToFloat(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat(0xc000)).toBe(-2);
    expect(bfloat16BitsToFloat(0x3f81)).toBe(1.0078125);
    expect(bfloat16BitsToFloat(0xff80)).toBe(-Infinity);
    expect(bfloat16BitsToFloat(0x7fc0)).toBeNaN();
  });
});
