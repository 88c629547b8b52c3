import { describe, expect, it } from 'vitest';
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
});
