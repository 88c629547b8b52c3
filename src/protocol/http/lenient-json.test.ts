import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.ts';
import { parseLenientJson } from './lenient-json.ts';

describe('parseLenientJson', () => {
  it('reads bare NaN / Infinity / -Infinity as the strings the tensor codec takes for floats', () => {
    expect(parseLenientJson('{"a": [1.0, NaN, Infinity, -Infinity]}')).toEqual({ a: [1, 'NaN', 'Infinity', '-Infinity'] });
  });
  it('leaves the same words inside strings alone, escaped quotes included', () => {
    expect(parseLenientJson('{"s": "NaN \\" Infinity", "v": NaN}')).toEqual({ s: 'NaN " Infinity', v: 'NaN' });
  });
  it('still rejects malformed JSON with a catalogue error', () => {
    expect(() => parseLenientJson('{"a": NaNa}')).toThrow(/malformed request body/);
    expect(() => parseLenientJson('{"a": [1,')).toThrow(expect.objectContaining({ code: 'FERRY_ERR_MALFORMED_BODY' }));
  });
  it('names the strict parser\'s own complaint about malformed JSON', () => {
    const parserMessage = (text: string) => {
      try {
        JSON.parse(text);
      } catch (error) {
        return (error as Error).message;
      }
      return 'parsed';
    };
    for (const text of ['{"a": [1,', '{"a": NaN,']) {
      expect(() => parseLenientJson(text), text).toThrow(`malformed request body: ${parserMessage(text)}`);
    }
  });
  it('passes a limit\'s own error on, not as malformed JSON', () => {
    const deep = `${'['.repeat(DEFAULT_LIMITS.maxJsonDepth + 1)}${']'.repeat(DEFAULT_LIMITS.maxJsonDepth + 1)}`;
    expect(() => parseLenientJson(deep)).toThrow(expect.objectContaining({ code: 'FERRY_ERR_LIMIT_EXCEEDED' }));
    expect(() => parseLenientJson(`[NaN, ${deep}]`)).toThrow(expect.objectContaining({ code: 'FERRY_ERR_LIMIT_EXCEEDED' }));
  });
  it('reads long integers as JSON.parse does unless asked for exact ones', () => {
    expect(parseLenientJson('[4611686018427387905]')).toEqual([4611686018427387904]);
    expect(parseLenientJson('[4611686018427387905]', true)).toEqual([2n ** 62n + 1n]);
  });
});
