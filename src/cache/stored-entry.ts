import { decodeResult } from './result-codec.ts';
import type { CacheHooks, CachedResult } from './types.ts';

/**
 * What every backend answers for the bytes a lookup found, counted in `hooks`: a hit, or a miss when nothing is
 * stored. A value that does not decode (foreign or corrupt) is a miss too, not an outage: it is counted as an
 * error, after `onCorrupt` (a backend that can, drops it there).
 */
export function answerLookup(bytes: Uint8Array | null | undefined, hooks: CacheHooks, onCorrupt?: () => void): CachedResult | undefined {
  if (bytes === undefined || bytes === null) {
    hooks.onMiss?.();
    return undefined;
  }
  try {
    const result = decodeResult(bytes);
    hooks.onHit?.();
    return result;
  } catch (error) {
    onCorrupt?.();
    hooks.onError?.(error);
    hooks.onMiss?.();
    return undefined;
  }
}

/** An entry's time to live in whole milliseconds (at least 1); undefined = no expiry (ttlS ≤ 0 or non-finite). */
export function ttlMillis(ttlS: number): number | undefined {
  return Number.isFinite(ttlS) && ttlS > 0 ? Math.max(1, Math.round(ttlS * 1000)) : undefined;
}
