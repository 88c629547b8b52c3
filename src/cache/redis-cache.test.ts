import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runCacheConformance } from './cache.case.ts';
import { createRedisCache } from './redis-cache.ts';
import type { CacheHooks, CacheLogger, CachedResult, PredictionCache } from './types.ts';

const url = process.env.FERRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = 'ferry:test:';
const reachable = await probe(url);
const skipReason = reachable ? undefined : `Redis at ${url} is unreachable`;
if (skipReason !== undefined) console.warn(`skipping Redis cache tests: ${skipReason} (set FERRY_TEST_REDIS_URL)`);

const value: CachedResult = { outputs: [{ name: 'y', datatype: 'FP32', shape: [2], data: Float32Array.of(1, 2) }] };
const silent: CacheLogger = { warn() {}, info() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.env.CI === 'true' && !reachable) {
  it('reaches Redis (required under CI)', () => {
    throw new Error(`${skipReason}: CI=true requires the real Redis`);
  });
}

if (reachable) {
  runCacheConformance({
    name: 'Redis',
    evicts: false, // Redis evicts server-side (maxmemory-policy); the suite checks overwrite and TTL
    create: async (hooks) => ready(createRedisCache({ url, keyPrefix: prefix, hooks, logger: silent })),
  });
}

describe.skipIf(!reachable)('Redis cache when Redis fails', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup) await step();
  });

  it('answers misses quickly, never throws, and logs once when nothing listens', async () => {
    const counts = { error: 0, miss: 0 };
    const warnings: string[] = [];
    const cache = createRedisCache({
      url: 'redis://127.0.0.1:1', // nothing listens on port 1
      hooks: { onError: () => counts.error++, onMiss: () => counts.miss++ },
      logger: { warn: (_o, msg) => warnings.push(msg ?? ''), info() {} },
    });
    cleanup.push(() => cache.close());
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      expect(await cache.get(`k${i}`)).toBeUndefined();
      await cache.set(`k${i}`, value, 60);
    }
    expect(performance.now() - started).toBeLessThan(200);
    expect(counts.miss).toBe(20);
    expect(counts.error).toBeGreaterThanOrEqual(40);
    await sleep(300); // let the refused connection attempts (and their retries) report
    expect(warnings).toHaveLength(1);
  });

  it('treats a foreign value under its key as a miss and counts the error', async () => {
    const counts = { error: 0, miss: 0 };
    const cache = await ready(createRedisCache({ url, keyPrefix: prefix, logger: silent, hooks: { onError: () => counts.error++, onMiss: () => counts.miss++ } }));
    cleanup.push(() => cache.close());
    const admin = new Redis(url);
    cleanup.push(() => admin.quit());
    const key = `foreign-${process.pid}-${Date.now()}`;
    await admin.set(prefix + key, 'not a ferry result', 'EX', 60);
    Object.assign(counts, { error: 0, miss: 0 });
    expect(await cache.get(key)).toBeUndefined();
    expect(counts).toEqual({ error: 1, miss: 1 });
  });

  it('gives up on a Redis that accepts connections but never answers, within the command timeout', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => sockets.push(socket)); // swallow everything
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    });
    const port = (server.address() as AddressInfo).port;
    const cache = createRedisCache({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 50, connectTimeoutMs: 200, logger: silent });
    cleanup.push(() => cache.close());
    await sleep(50);
    const started = performance.now();
    expect(await cache.get('k')).toBeUndefined();
    await cache.set('k', value, 60);
    expect(performance.now() - started).toBeLessThan(300);
  });

  it('keeps answering (as misses) when its connection is killed mid-run, and recovers', async () => {
    const name = `ferry-cache-test-${process.pid}-${Date.now()}`;
    const counts = { hit: 0, miss: 0, error: 0 };
    const hooks: CacheHooks = { onHit: () => counts.hit++, onMiss: () => counts.miss++, onError: () => counts.error++ };
    const logs: string[] = [];
    const cache = await ready(
      createRedisCache({ url, keyPrefix: prefix, connectionName: name, hooks, logger: { warn: (_o, m) => logs.push(`warn ${m}`), info: (_o, m) => logs.push(`info ${m}`) } }),
    );
    cleanup.push(() => cache.close());
    const admin = new Redis(url);
    cleanup.push(() => admin.quit());
    const key = `kill-${name}`;
    await cache.set(key, value, 60);
    expect(await cache.get(key)).toBeDefined();

    const killed = await killClient(admin, name);
    expect(killed).toBe(1);
    const outcomes: (CachedResult | undefined)[] = [];
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      outcomes.push(await cache.get(key)); // resolves (hit or miss): never throws, never hangs
      await cache.set(`${key}-${i}`, value, 60);
    }
    expect(performance.now() - started).toBeLessThan(2000);
    expect(outcomes.some((o) => o === undefined)).toBe(true); // the outage was felt, as misses

    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt++) {
      await sleep(100);
      recovered = (await cache.get(key)) !== undefined;
    }
    expect(recovered).toBe(true);
    expect(counts.error).toBeGreaterThan(0);
    expect(logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(logs.some((l) => l.startsWith('info'))).toBe(true);
  });
});

/** Resolves once the cache's connection is ready (before that a lookup is a fast miss), so tests start warm. */
async function ready(cache: PredictionCache): Promise<PredictionCache> {
  const deadline = Date.now() + 3000;
  const key = `ready-${Math.random()}`;
  while (Date.now() < deadline) {
    await cache.set(key, value, 5);
    if ((await cache.get(key)) !== undefined) return cache;
    await sleep(20);
  }
  throw new Error('Redis cache did not become ready within 3 s');
}

async function killClient(admin: Redis, name: string): Promise<number> {
  const list = await admin.client('LIST');
  const line = String(list).split('\n').find((l) => l.includes(` name=${name} `));
  const id = line?.match(/\bid=(\d+)/)?.[1];
  if (id === undefined) return 0;
  return Number(await admin.client('KILL', 'ID', id));
}

async function probe(target: string): Promise<boolean> {
  const client = new Redis(target, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
