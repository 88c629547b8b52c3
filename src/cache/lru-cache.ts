import { LRUCache } from 'lru-cache';
import { encodeResult } from './result-codec.ts';
import { answerLookup, ttlMillis } from './stored-entry.ts';
import type { CacheHooks, CachedResult, PredictionCache } from './types.ts';

export interface LruCacheOptions {
  /** Byte budget for stored results (encoded bytes + key). Default 64 MiB. */
  readonly maxBytes?: number;
  /** Results larger than this are not stored. Default: an eighth of the budget. */
  readonly maxEntryBytes?: number;
  readonly hooks?: CacheHooks;
}

export const DEFAULT_LRU_BYTES = 64 * 1024 * 1024;

/**
 * In-process LRU with a byte budget (the default cache). Results are stored encoded: the budget counts real
 * bytes, and a value set cannot change afterwards when the caller reuses its buffers.
 */
export function createLruCache(options: LruCacheOptions = {}): PredictionCache {
  const hooks = options.hooks ?? {};
  const maxSize = options.maxBytes ?? DEFAULT_LRU_BYTES;
  const entries = new LRUCache<string, Uint8Array>({
    maxSize,
    maxEntrySize: options.maxEntryBytes ?? Math.max(1, Math.floor(maxSize / 8)),
    sizeCalculation: (value, key) => value.byteLength + key.length,
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') hooks.onEviction?.();
    },
  });

  return {
    async get(key) {
      return answerLookup(entries.get(key), hooks, () => entries.delete(key));
    },
    async set(key: string, value: CachedResult, ttlS: number) {
      const ttl = ttlMillis(ttlS);
      entries.set(key, encodeResult(value), ttl === undefined ? {} : { ttl });
    },
    async close() {
      entries.clear();
    },
  };
}
