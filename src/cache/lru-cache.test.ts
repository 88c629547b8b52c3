import { describe, expect, it } from 'vitest';
import { runCacheConformance } from './cache.case.ts';
import { createLruCache } from './lru-cache.ts';

runCacheConformance({
  name: 'in-process LRU',
  evicts: true,
  create: async (hooks, budgetBytes) =>
    createLruCache({ hooks, ...(budgetBytes === undefined ? {} : { maxBytes: budgetBytes, maxEntryBytes: budgetBytes }) }),
});

describe('in-process LRU specifics', () => {
  it('does not store a result larger than its entry limit', async () => {
    const cache = createLruCache({ maxBytes: 1 << 20, maxEntryBytes: 1024 });
    await cache.set('big', { outputs: [{ name: 'y', datatype: 'FP64', shape: [1000], data: new Float64Array(1000) }] }, 60);
    await cache.set('small', { outputs: [{ name: 'y', datatype: 'FP64', shape: [10], data: new Float64Array(10) }] }, 60);
    expect(await cache.get('big')).toBeUndefined();
    expect(await cache.get('small')).toBeDefined();
  });
});
