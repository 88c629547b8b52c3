import type { ExecuteResult } from '../runtimes/runtime.ts';

/** What the cache stores and returns: a runtime's result for one request (all of its outputs). */
export type CachedResult = ExecuteResult;

/**
 * A prediction cache. Implementations never fail a request: a broken backend answers misses and swallows writes
 * (counted through CacheHooks.onError). Returned tensors are read-only views; do not mutate them.
 */
export interface PredictionCache {
  get(key: string): Promise<CachedResult | undefined>;
  /** Stores `value` for `ttlS` seconds (fractions allowed); ttlS ≤ 0 or non-finite keeps it until evicted. */
  set(key: string, value: CachedResult, ttlS: number): Promise<void>;
  close(): Promise<void>;
}

/** Metric hooks (the data plane wires them to prom-client); each must be cheap and must not throw. */
export interface CacheHooks {
  onHit?(): void;
  onMiss?(): void;
  /** An entry was pushed out to stay within the byte budget (in-process cache only; Redis evicts server-side). */
  onEviction?(): void;
  /** A backend or decoding error was swallowed and answered as a miss / dropped write. */
  onError?(error: unknown): void;
}

/** pino-compatible subset. */
export interface CacheLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}
