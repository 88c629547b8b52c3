import { describe, expect, it } from 'vitest';
import { quoteNonFiniteTokens } from './non-finite-json.ts';

describe('quoteNonFiniteTokens', () => {
  it('quotes bare NaN, Infinity and -Infinity values (the sign stays with its Infinity)', () => {
    expect(quoteNonFiniteTokens('[NaN, Infinity, -Infinity, 1.5]')).toBe('["NaN", "Infinity", "-Infinity", 1.5]');
  });
  it('leaves the same words inside strings alone, escaped quotes included', () => {
    expect(quoteNonFiniteTokens('{"NaN": "a \\" Infinity", "v": -Infinity}')).toBe('{"NaN": "a \\" Infinity", "v": "-Infinity"}');
  });
  it('returns text without such tokens unchanged', () => {
    const text = '{"a": [1, 2e-3, null], "b": "x"}';
    expect(quoteNonFiniteTokens(text)).toBe(text);
  });
});
