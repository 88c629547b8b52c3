import { Redis } from 'ioredis';
import { encodeResult } from './result-codec.ts';
import { answerLookup, ttlMillis } from './stored-entry.ts';
import type { CacheHooks, CacheLogger, CachedResult, PredictionCache } from './types.ts';

export interface RedisCacheOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// */
  readonly url: string;
  /** Prefix of every key, so one Redis can serve several deployments. Default 'ferry:pred:'. */
  readonly keyPrefix?: string;
  /** A cache lookup that takes longer than this is a miss. Default 100 ms. */
  readonly commandTimeoutMs?: number;
  /** Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Results larger than this are not stored. Default 4 MiB. */
  readonly maxValueBytes?: number;
  /** Shows in CLIENT LIST. Default 'ferry-cache'. */
  readonly connectionName?: string;
  readonly hooks?: CacheHooks;
  readonly logger?: CacheLogger;
}

const consoleLogger: CacheLogger = {
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  info: () => {},
};

/**
 * Redis-backed cache shared by replicas. It never fails or stalls a request: commands are not queued while the
 * connection is down (enableOfflineQueue off) and time out after commandTimeoutMs, so an unreachable Redis turns
 * every lookup into a fast miss. It reconnects in the background; the outage is logged once and its recovery once.
 */
export function createRedisCache(options: RedisCacheOptions): PredictionCache {
  const hooks = options.hooks ?? {};
  const logger = options.logger ?? consoleLogger;
  const prefix = options.keyPrefix ?? 'ferry:pred:';
  const maxValueBytes = options.maxValueBytes ?? 4 * 1024 * 1024;
  // 'connecting' until the first ready: commands refused then are misses, but not an outage worth a warning.
  let state: 'connecting' | 'up' | 'down' = 'connecting';
  let closing = false;

  const client = new Redis(options.url, {
    connectionName: options.connectionName ?? 'ferry-cache',
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 100,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Keep trying, backing off to 2 s: the cache comes back by itself when Redis does.
    retryStrategy: (attempt) => (closing ? null : Math.min(100 * attempt, 2000)),
  });

  const failed = (error: unknown, connectionError = false): void => {
    hooks.onError?.(error);
    if (closing || state === 'down' || (state === 'connecting' && !connectionError)) return;
    state = 'down';
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'prediction cache: Redis unavailable; serving without cache');
  };
  // Without an 'error' listener ioredis would raise connection errors as uncaught exceptions.
  client.on('error', (error: unknown) => failed(error, true));
  client.on('ready', () => {
    if (state === 'down') logger.info({}, 'prediction cache: Redis reachable again');
    state = 'up';
  });

  return {
    async get(key) {
      let bytes: Buffer | null;
      try {
        bytes = await client.getBuffer(prefix + key);
      } catch (error) {
        failed(error);
        hooks.onMiss?.();
        return undefined;
      }
      return answerLookup(bytes, hooks);
    },
    async set(key: string, value: CachedResult, ttlS: number) {
      const bytes = encodeResult(value);
      if (bytes.byteLength > maxValueBytes) return;
      const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const ttl = ttlMillis(ttlS);
      try {
        if (ttl !== undefined) await client.set(prefix + key, payload, 'PX', ttl);
        else await client.set(prefix + key, payload);
      } catch (error) {
        failed(error);
      }
    },
    async close() {
      closing = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
