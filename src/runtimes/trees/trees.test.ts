import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { CategoryLevels } from './categories.ts';
import { evaluateInChunks } from './chunked.ts';

describe('evaluateInChunks', () => {
  it('runs a small batch synchronously in one call', async () => {
    const calls: [number, number][] = [];
    await evaluateInChunks(10, 100, (s, e) => calls.push([s, e]), undefined, 10_000);
    expect(calls).toEqual([[0, 10]]);
  });

  it('splits a large batch and lets other work run between chunks', async () => {
    const events: string[] = [];
    const immediate = setImmediate(() => events.push('other work'));
    await evaluateInChunks(1000, 100, (s, e) => events.push(`${s}-${e}`), undefined, 30_000);
    clearImmediate(immediate);
    expect(events.filter((e) => e !== 'other work')).toEqual(['0-300', '300-600', '600-900', '900-1000']);
    expect(events.indexOf('other work')).toBeGreaterThan(0);
    expect(events.indexOf('other work')).toBeLessThan(events.length - 1);
  });

  it('stops with FERRY_ERR_CANCELLED when the batch is aborted', async () => {
    const controller = new AbortController();
    const evaluated: number[] = [];
    const run = evaluateInChunks(1000, 100, (s) => {
      evaluated.push(s);
      controller.abort();
    }, controller.signal, 30_000);
    const error = await run.catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_CANCELLED');
    expect(evaluated).toEqual([0]);
  });
});

describe('CategoryLevels', () => {
  it('maps training categories to codes, in the spellings clients send', () => {
    const strings = new CategoryLevels(['Consultant', 'Private']);
    expect([strings.code('Consultant'), strings.code('Private'), strings.code('Unknown'), strings.code(null)]).toEqual([0, 1, NaN, NaN]);
    const numbers = new CategoryLevels([70, 71.0, 82]);
    expect([numbers.code('71'), numbers.code('71.0'), numbers.code(' 82 '), numbers.code('83')]).toEqual([1, 1, 2, NaN]);
    const booleans = new CategoryLevels([false, true]);
    expect([booleans.code('FALSE'), booleans.code('True'), booleans.code('yes')]).toEqual([0, 1, NaN]);
    const xgboostStrings = new CategoryLevels(['3', '4', '8']);
    expect([xgboostStrings.code('8'), xgboostStrings.code('8.0')]).toEqual([2, 2]);
  });
});
