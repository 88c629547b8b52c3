import { ferryError } from '../errors/index.ts';
import { createLruCache } from './lru-cache.ts';
import { createRedisCache } from './redis-cache.ts';
import type { CacheHooks, CacheLogger, PredictionCache } from './types.ts';

export interface CacheSettings {
  /** `memory` (default) or a `redis://` / `rediss://` URL. */
  readonly backend?: string;
  /** Byte budget of the in-process cache. */
  readonly maxBytes?: number;
  readonly hooks?: CacheHooks;
  readonly logger?: CacheLogger;
}

/** Picks the implementation from the settings: the one place that knows both. */
export function createPredictionCache(settings: CacheSettings = {}): PredictionCache {
  const backend = settings.backend ?? 'memory';
  const common = { ...(settings.hooks === undefined ? {} : { hooks: settings.hooks }) };
  if (backend === 'memory') return createLruCache({ ...common, ...(settings.maxBytes === undefined ? {} : { maxBytes: settings.maxBytes }) });
  if (/^rediss?:\/\//.test(backend)) {
    return createRedisCache({ url: backend, ...common, ...(settings.logger === undefined ? {} : { logger: settings.logger }) });
  }
  throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `cache backend must be 'memory' or a redis:// URL, got '${backend}'` });
}
