import { describe, expect, it } from 'vitest';
import { asFerryError, FerryError, ferryError, isFerryError } from './ferry-error.ts';
import { yamlErrorSummary } from './yaml-error.ts';

describe('FerryError', () => {
  it('fills parameters, numbers included, and keeps a placeholder it has no value for', () => {
    const error = ferryError('FERRY_ERR_MODEL_NOT_READY', { model: 'm', version: 3 });
    expect(error.message).toBe("model 'm' version '3' is not ready ({state})");
    expect(error.params).toEqual({ model: 'm', version: 3 });
    expect(error.name).toBe('FerryError');
    expect(error).toBeInstanceOf(Error);
  });

  it('keeps the cause it is given, and none when given none', () => {
    const cause = new Error('disk');
    expect(ferryError('FERRY_ERR_INTERNAL', { detail: 'x' }, cause).cause).toBe(cause);
    expect('cause' in ferryError('FERRY_ERR_INTERNAL', { detail: 'x' })).toBe(false);
  });

  it('tells its own errors from others', () => {
    expect(isFerryError(ferryError('FERRY_ERR_INTERNAL'))).toBe(true);
    expect(isFerryError(new Error('x'))).toBe(false);
    expect(isFerryError({ code: 'FERRY_ERR_INTERNAL', http: 500 })).toBe(false);
    expect(isFerryError(undefined)).toBe(false);
  });

  it('turns anything thrown into a FerryError: its own unchanged, others as internal errors with their text', () => {
    const own = ferryError('FERRY_ERR_MODEL_NOT_FOUND', { model: 'm' });
    expect(asFerryError(own)).toBe(own);
    const thrown = new TypeError('boom');
    const wrapped = asFerryError(thrown);
    expect(wrapped).toBeInstanceOf(FerryError);
    expect(wrapped.code).toBe('FERRY_ERR_INTERNAL');
    expect(wrapped.http).toBe(500);
    expect(wrapped.message).toBe('internal error: boom');
    expect(wrapped.cause).toBe(thrown);
    expect(asFerryError('plain text').message).toBe('internal error: plain text');
    expect(asFerryError(42).params).toEqual({ detail: '42' });
  });
});

describe('yamlErrorSummary', () => {
  it('keeps the first line of the parser\'s message, without a trailing colon', () => {
    expect(yamlErrorSummary(new Error('Nested mappings are not allowed at line 2, column 8:\n\n  url: secret\n       ^'))).toBe('Nested mappings are not allowed at line 2, column 8');
    expect(yamlErrorSummary(new Error('Bad indentation at line 1:   \nsecret'))).toBe('Bad indentation at line 1');
    expect(yamlErrorSummary('a: b: c')).toBe('a: b: c');
    expect(yamlErrorSummary(new Error('ends with a colon: '))).toBe('ends with a colon');
  });
});
