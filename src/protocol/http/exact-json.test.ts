import { describe, expect, it } from 'vitest';
import { jsonText, parseExactJson } from './exact-json.ts';
import { parseLenientJson } from './lenient-json.ts';

describe('parseExactJson', () => {
  it('keeps integer literals beyond 2^53 whole as bigints, wherever they stand', () => {
    expect(parseExactJson('[4611686018427387905,18446744073709551615,-9223372036854775808]')).toEqual([2n ** 62n + 1n, 2n ** 64n - 1n, -(2n ** 63n)]);
    expect(parseExactJson('{"a": {"b": [ 9007199254740993 ]}, "c":9007199254740993}')).toEqual({ a: { b: [2n ** 53n + 1n] }, c: 2n ** 53n + 1n });
    expect(parseExactJson('9007199254740992')).toBe(2n ** 53n); // 2^53 itself: no longer a safe integer
    expect(parseExactJson('\n12345678901234567890\n')).toBe(12345678901234567890n);
  });

  it('leaves everything a double holds exactly as numbers, and non-integer literals as JSON.parse reads them', () => {
    const text = '[9007199254740991,-9007199254740991,1234567890123456,0.30000000000000004,1.2345678901234567e+25,4611686018427387905.0,1e19]';
    expect(parseExactJson(text)).toEqual(JSON.parse(text));
  });

  it('never touches digits inside strings', () => {
    expect(parseExactJson('{"id":"4611686018427387905","s":"x,12345678901234567890]"}')).toEqual({ id: '4611686018427387905', s: 'x,12345678901234567890]' });
  });

  it('throws on malformed text as JSON.parse does, on both paths', () => {
    expect(() => parseExactJson('[1,')).toThrow(SyntaxError);
    expect(() => parseExactJson('[12345678901234567890,')).toThrow(SyntaxError);
  });

  it('lenient parsing (NaN, Infinity) keeps long integers exact too', () => {
    expect(parseLenientJson('[NaN, 4611686018427387905, -Infinity]')).toEqual(['NaN', 2n ** 62n + 1n, '-Infinity']);
  });
});

describe('jsonText', () => {
  it('writes bigints back as the integer literals they were', () => {
    expect(jsonText({ tags: { trace: 2n ** 63n - 1n }, list: [1, 'a', -(2n ** 63n)] })).toBe('{"tags":{"trace":9223372036854775807},"list":[1,"a",-9223372036854775808]}');
    expect(jsonText(undefined)).toBe('undefined');
  });
});
