import { describe, expect, it } from 'vitest';
import { float32ToBfloat16Bits, float32ToHalfBits } from './half.ts';
import { bigintToFloat32, convertToFloat } from './numeric-convert.ts';

// Expected values are numpy's `np.array(values, dtype=<from>).astype(<to>)` (numpy 1.24).
describe('numeric conversion to FP32 / FP64', () => {
  it('widens every 8/16/32-bit integer, BOOL and FP32 to FP64 exactly', () => {
    expect(Array.from(convertToFloat('INT32', Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 16777217), 'FP64'))).toEqual([-(2 ** 31), 2 ** 31 - 1, 16777217]);
    expect(Array.from(convertToFloat('UINT32', Uint32Array.of(2 ** 32 - 1), 'FP64'))).toEqual([2 ** 32 - 1]);
    expect(Array.from(convertToFloat('UINT8', Uint8Array.of(0, 255), 'FP64'))).toEqual([0, 255]);
    expect(Array.from(convertToFloat('INT8', Int8Array.of(-128, 127), 'FP64'))).toEqual([-128, 127]);
    expect(Array.from(convertToFloat('BOOL', Uint8Array.of(1, 0), 'FP64'))).toEqual([1, 0]);
    expect(Array.from(convertToFloat('FP32', Float32Array.of(0.1, NaN), 'FP64'))).toEqual([0.10000000149011612, NaN]);
  });

  it('decodes FP16 and BF16 bits exactly', () => {
    expect(Array.from(convertToFloat('FP16', Uint16Array.of(float32ToHalfBits(1.5), float32ToHalfBits(-65504)), 'FP64'))).toEqual([1.5, -65504]);
    expect(Array.from(convertToFloat('BF16', Uint16Array.of(float32ToBfloat16Bits(3)), 'FP32'))).toEqual([3]);
  });

  it('rounds to nearest, ties to even, where FP32 cannot hold the value', () => {
    expect(Array.from(convertToFloat('INT32', Int32Array.of(16777217, 16777219, 2 ** 31 - 1), 'FP32'))).toEqual([16777216, 16777220, 2147483648]);
    expect(Array.from(convertToFloat('FP64', Float64Array.of(0.1, 1e300, -1e300, NaN), 'FP32'))).toEqual([0.10000000149011612, Infinity, -Infinity, NaN]);
  });

  it('rounds 64-bit integers once: to FP64 beyond 2^53, to FP32 beyond 2^24 (no double rounding)', () => {
    expect(Array.from(convertToFloat('INT64', BigInt64Array.of(2n ** 53n + 1n, 2n ** 53n + 3n), 'FP64'))).toEqual([9007199254740992, 9007199254740996]);
    // 2^60 + 2^36 + 1 is just above a float32 tie; rounding to float64 first would lose the +1 and round down to 2^60.
    expect(bigintToFloat32(2n ** 60n + 2n ** 36n + 1n)).toBe(1152921642045800448);
    expect(bigintToFloat32(-(2n ** 60n + 2n ** 36n + 1n))).toBe(-1152921642045800448);
    expect(bigintToFloat32(2n ** 62n + 2n ** 38n)).toBe(4.611686018427388e18); // a tie: to even (down)
    expect(bigintToFloat32(2n ** 62n + 3n * 2n ** 38n)).toBe(4.611687117939016e18); // a tie: to even (up)
    expect(Array.from(convertToFloat('UINT64', BigUint64Array.of(2n ** 64n - 1n, 0n), 'FP32'))).toEqual([18446744073709551616, 0]);
    expect(Array.from(convertToFloat('INT64', BigInt64Array.of(16777217n, -(2n ** 63n)), 'FP32'))).toEqual([16777216, -(2 ** 63)]);
  });

  it('converts whole tensors of 64-bit integers to FP32 with one rounding', () => {
    expect(Array.from(convertToFloat('INT64', BigInt64Array.of(2n ** 60n + 2n ** 36n + 1n, -(2n ** 60n + 2n ** 36n + 1n)), 'FP32')))
      .toEqual([1152921642045800448, -1152921642045800448]);
    expect(Array.from(convertToFloat('UINT64', BigUint64Array.of(2n ** 60n + 2n ** 36n + 1n), 'FP64'))).toEqual([1152921504606846976 + 2 ** 36]);
    expect(bigintToFloat32(2n ** 60n)).toBe(2 ** 60); // exact: nothing to round
    expect(bigintToFloat32(2n ** 60n + 2n ** 36n)).toBe(2 ** 60); // a tie: to even (down)
    expect(bigintToFloat32(2n ** 60n + 2n ** 37n + 1n)).toBe(2 ** 60 + 2 ** 37); // odd, below the tie: down
    expect(bigintToFloat32(0n)).toBe(0);
    expect(bigintToFloat32(-(2n ** 53n) - 1n)).toBe(-(2 ** 53));
  });

  it('converts empty and one-element tensors', () => {
    expect(convertToFloat('INT64', new BigInt64Array(0), 'FP64')).toEqual(new Float64Array(0));
    expect(convertToFloat('FP16', Uint16Array.of(0xfc00), 'FP32')).toEqual(Float32Array.of(-Infinity));
    expect(convertToFloat('BF16', Uint16Array.of(0x3f81), 'FP64')).toEqual(Float64Array.of(1.0078125));
    expect(convertToFloat('UINT16', Uint16Array.of(65535), 'FP32')).toBeInstanceOf(Float32Array);
  });

  it('has no numbers to give for BYTES', () => {
    expect(() => convertToFloat('BYTES', [new Uint8Array([49])], 'FP64')).toThrow(/not numbers/);
  });
});
