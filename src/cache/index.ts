/**
 * cache/ — the prediction cache: in-process LRU with a byte budget (default) and Redis shared by replicas.
 *
 * Wiring (data plane), on the request path `cache.get → scheduler.enqueue → cache.set`:
 *
 *   const cache = createPredictionCache({ backend: config.cache.backend, maxBytes, logger,
 *     hooks: { onHit, onMiss, onEviction, onError } });              // → prom-client counters
 *   const key = cacheKey(name, version, request);                    // only when the model enables caching
 *   const cached = await cache.get(key);
 *   const result = cached ?? await scheduler.enqueue(request, opts);
 *   if (!cached) void cache.set(key, result, ttlSeconds);            // never awaited on the response path
 *   // on shutdown: await cache.close();
 *
 * Contract:
 * - The key covers model, version, request parameters, every input (name, datatype, shape, raw bytes; input
 *   order ignored) and the requested output names. Wire-encoding parameters (binary_data*, binary_data_size)
 *   are ignored. Per-request parameters such as trace ids DO split keys: the cache errs on the side of a miss.
 * - Values are whole ExecuteResults (all outputs the runtime returned, with parameters), stored in a binary
 *   format built on the tensor raw codec; apply output selection after the cache, as after the scheduler.
 * - get/set never reject and never stall: a broken Redis answers misses within its command timeout (100 ms
 *   default; immediately when disconnected), logs the outage once and its recovery once, and reconnects itself.
 *   Returned tensors are read-only views.
 * - Do not cache results answered with `parameters.ferry_default_output` (a deadline fallback, not a prediction).
 * - Every implementation passes cache.case.ts (`runCacheConformance`).
 */
export { cacheKey } from './cache-key.ts';
export { createPredictionCache, type CacheSettings } from './create-cache.ts';
export { createLruCache, DEFAULT_LRU_BYTES, type LruCacheOptions } from './lru-cache.ts';
export { createRedisCache, type RedisCacheOptions } from './redis-cache.ts';
export { encodeResult, decodeResult } from './result-codec.ts';
export type { CacheHooks, CacheLogger, CachedResult, PredictionCache } from './types.ts';
