import { describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import { EVERY_DATATYPE } from './cache.case.ts';
import { decodeResult, encodeResult } from './result-codec.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isFerryError(error) ? error.code : 'not a FerryError';
  }
  return undefined;
}

describe('result codec', () => {
  it('decodes from an unaligned copy (as a pooled Buffer from Redis may be)', () => {
    const encoded = encodeResult({ outputs: EVERY_DATATYPE });
    const shifted = new Uint8Array(encoded.byteLength + 3);
    shifted.set(encoded, 3);
    const decoded = decodeResult(shifted.subarray(3));
    expect(decoded.outputs.map((t) => t.name)).toEqual(EVERY_DATATYPE.map((t) => t.name));
    expect(Array.from(decoded.outputs.find((t) => t.name === 'i64')!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('lays numeric outputs on 8-byte boundaries so they decode as views', () => {
    const encoded = encodeResult({ outputs: EVERY_DATATYPE });
    const decoded = decodeResult(encoded);
    const f64 = decoded.outputs.find((t) => t.name === 'f64')!.data as Float64Array;
    expect(f64.buffer).toBe(encoded.buffer);
  });

  it('refuses corrupt, foreign and truncated values with a catalogue error', () => {
    const encoded = encodeResult({ outputs: EVERY_DATATYPE });
    expect(code(() => decodeResult(new Uint8Array(3)))).toBe('FERRY_ERR_INTERNAL');
    expect(code(() => decodeResult(new TextEncoder().encode('{"not":"ours"}')))).toBe('FERRY_ERR_INTERNAL');
    expect(code(() => decodeResult(encoded.subarray(0, encoded.byteLength - 16)))).toBe('FERRY_ERR_INTERNAL');
    const badHeader = encoded.slice();
    badHeader[9] = 0x7b; // '{' where JSON expects a key
    expect(code(() => decodeResult(badHeader))).toBe('FERRY_ERR_INTERNAL');
  });
});
