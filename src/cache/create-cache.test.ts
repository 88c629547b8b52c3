import { describe, expect, it } from 'vitest';
import { createPredictionCache } from './create-cache.ts';

describe('createPredictionCache', () => {
  it('defaults to the in-process cache', async () => {
    const cache = createPredictionCache();
    await cache.set('k', { outputs: [{ name: 'y', datatype: 'INT8', shape: [1], data: Int8Array.of(-3) }] }, 10);
    expect(Array.from((await cache.get('k'))!.outputs[0]!.data as Int8Array)).toEqual([-3]);
    await cache.close();
  });
  it('refuses an unknown backend with a catalogue error', () => {
    expect(() => createPredictionCache({ backend: 'memcached://x' })).toThrow(/cache backend must be 'memory' or a redis:\/\/ URL/);
  });
});
