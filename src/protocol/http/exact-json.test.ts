import { describe, expect, it } from 'vitest';
import { holdsUnsafeNumber, jsonText, parseJson, takesWideIntegers } from './exact-json.ts';
import { parseLenientJson } from './lenient-json.ts';

const exact = (text: string) => parseJson(text, true);

describe('parseJson with exact integers', () => {
  it('keeps integer literals beyond 2^53 whole as bigints, wherever they stand', () => {
    expect(exact('[4611686018427387905,18446744073709551615,-9223372036854775808]')).toEqual([2n ** 62n + 1n, 2n ** 64n - 1n, -(2n ** 63n)]);
    expect(exact('{"a": {"b": [ 9007199254740993 ]}, "c":9007199254740993}')).toEqual({ a: { b: [2n ** 53n + 1n] }, c: 2n ** 53n + 1n });
    expect(exact('9007199254740992')).toBe(2n ** 53n); // 2^53 itself: no longer a safe integer
    expect(exact('\n12345678901234567890\n')).toBe(12345678901234567890n);
  });

  it('leaves everything a double holds exactly as numbers, and non-integer literals as JSON.parse reads them', () => {
    const text = '[9007199254740991,-9007199254740991,1234567890123456,0.30000000000000004,1.2345678901234567e+25,4611686018427387905.0,1e19]';
    expect(exact(text)).toEqual(JSON.parse(text));
  });

  it('never touches digits inside strings', () => {
    expect(exact('{"id":"4611686018427387905","s":"x,12345678901234567890]"}')).toEqual({ id: '4611686018427387905', s: 'x,12345678901234567890]' });
  });

  it('throws on malformed text as JSON.parse does, on both paths', () => {
    expect(() => exact('[1,')).toThrow(SyntaxError);
    expect(() => exact('[12345678901234567890,')).toThrow(SyntaxError);
  });

  it('finds a long literal after whitespace alone, and keeps safe integers beside it as numbers', () => {
    expect(exact('[ 9007199254740993]')).toEqual([2n ** 53n + 1n]);
    expect(exact('\n9007199254740993')).toBe(2n ** 53n + 1n);
    expect(exact('[9007199254740993, 5, -7, 0]')).toEqual([2n ** 53n + 1n, 5, -7, 0]);
    expect(exact('{"a":9007199254740993,"b":{"c":1}}')).toEqual({ a: 2n ** 53n + 1n, b: { c: 1 } });
  });

  it('is JSON.parse when not asked for', () => {
    expect(parseJson('[4611686018427387905]', false)).toEqual([4611686018427387904]);
  });

  it('lenient parsing (NaN, Infinity) keeps long integers exact too', () => {
    expect(parseLenientJson('[NaN, 4611686018427387905, -Infinity]', true)).toEqual(['NaN', 2n ** 62n + 1n, '-Infinity']);
  });
});

describe('holdsUnsafeNumber', () => {
  it('finds a number of 2^53 or more in magnitude at any depth, and only such', () => {
    expect(holdsUnsafeNumber({ tags: { a: [1, 2, { b: -(2 ** 53) }] } })).toBe(true);
    expect(holdsUnsafeNumber({ tags: { a: [1, 2 ** 53 - 1, 'x', null, { b: 1.5 }] } })).toBe(false);
    expect(holdsUnsafeNumber(undefined)).toBe(false);
    expect(holdsUnsafeNumber([2 ** 53])).toBe(true);
    expect(holdsUnsafeNumber([-(2 ** 53)])).toBe(true);
    expect(holdsUnsafeNumber([2 ** 53 - 1, -(2 ** 53 - 1)])).toBe(false);
    let deep: unknown = [2 ** 60];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(holdsUnsafeNumber(deep)).toBe(true); // no recursion: deep nesting cannot overflow the stack
  });
});

describe('jsonText', () => {
  it('writes bigints back as the integer literals they were', () => {
    expect(jsonText({ tags: { trace: 2n ** 63n - 1n }, list: [1, 'a', -(2n ** 63n)] })).toBe('{"tags":{"trace":9223372036854775807},"list":[1,"a",-9223372036854775808]}');
    expect(jsonText(undefined)).toBe('undefined');
  });
});

describe('takesWideIntegers', () => {
  it('is true when any input is INT64 or UINT64', () => {
    const input = (datatype: 'INT64' | 'UINT64' | 'FP32' | 'INT32') => ({ name: 'x', datatype, shape: [1] });
    expect(takesWideIntegers([input('FP32'), input('INT64')])).toBe(true);
    expect(takesWideIntegers([input('UINT64')])).toBe(true);
    expect(takesWideIntegers([input('FP32'), input('INT32')])).toBe(false);
    expect(takesWideIntegers([])).toBe(false);
  });
});
