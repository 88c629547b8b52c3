import { randomUUID } from 'node:crypto';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerryProcess, type ServerProcess } from '../bench/lib/processes.ts';
import { scratchRepository } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/**
 * Three `ferry serve` processes on loopback as replicas behind one Service would be: one model repository (a
 * shared volume), one Redis prediction cache (FERRY_TEST_REDIS_URL, default redis://127.0.0.1:6379; skipped with a
 * printed reason when unreachable, except under CI=true). A change made through one replica is served by all three.
 */
const REDIS_URL = process.env['FERRY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env['CI'] === 'true';
// Loading a version is a management call: the replicas share one operator token, as a Secret would give them.
const OPERATOR_TOKEN = randomUUID();

async function unreachableReason(): Promise<string | undefined> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`;
  } finally {
    probe.disconnect();
  }
}
const unreachable = await unreachableReason();
if (unreachable && !IN_CI) console.warn(`skipping the replicas test: ${unreachable}; set FERRY_TEST_REDIS_URL to run it`);

describe.skipIf(unreachable !== undefined && !IN_CI)('three replicas sharing a repository and a Redis cache', () => {
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  const replicas: ServerProcess[] = [];
  // A parameter unique to this run keeps cache entries left by other runs (and other engineers' tests) out.
  const run = randomUUID();
  const body = (tag: string) => JSON.stringify({ ...simpleRequest(), parameters: { test_run: `${run}-${tag}` } });
  const infer = async (replica: ServerProcess, tag: string) => {
    const response = await fetch(`${replica.url}/v2/models/simple/infer`, { method: 'POST', body: body(tag) });
    expect(response.status).toBe(200);
    return (await response.json()) as { model_version: string; parameters?: Record<string, unknown> };
  };

  beforeAll(async () => {
    repo = await scratchRepository(['simple']);
    await writeFile(path.join(repo.root, 'simple', 'model.yaml'), 'cache: {ttl_s: 120}\n');
    // One after another: each start is bounded, and a loaded machine starts three at once slowly.
    for (let i = 0; i < 3; i++) replicas.push(await startFerryProcess(['--poll-seconds', '0.2'], repo.root, { FERRY_CACHE_URL: REDIS_URL, FERRY_AUTH_TOKENS: `operator:admin:${OPERATOR_TOKEN}` }, 90_000));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await repo?.remove();
  });

  it('an answer computed by one replica is a cache hit on the other two', async () => {
    const [a, b, c] = replicas as [ServerProcess, ServerProcess, ServerProcess];
    expect((await infer(a, 'shared')).parameters?.['ferry_cache']).toBeUndefined();
    expect((await infer(b, 'shared')).parameters?.['ferry_cache']).toBe('hit');
    expect((await infer(c, 'shared')).parameters?.['ferry_cache']).toBe('hit');
  });

  it('a new version loaded through one replica is served by all three, and the cache does not answer it from the old one', async () => {
    const [a, b, c] = replicas as [ServerProcess, ServerProcess, ServerProcess];
    for (const replica of replicas) expect((await infer(replica, 'before')).model_version).toBe('1');
    await cp(path.join(repo.root, 'simple', '1'), path.join(repo.root, 'simple', '2'), { recursive: true });
    const load = await fetch(`${a.url}/v2/repository/models/simple/load`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(load.status).toBe(200);
    expect((await infer(a, 'before')).model_version).toBe('2');
    // The others see the same repository and swap to version 2 at their next scan.
    const deadline = Date.now() + 20_000;
    for (const replica of [b, c]) {
      let version = '';
      while (version !== '2' && Date.now() < deadline) {
        version = (await infer(replica, 'probe')).model_version;
        if (version !== '2') await new Promise((r) => setTimeout(r, 100));
      }
      expect(version).toBe('2');
    }
    // The answer cached for version 1 under the same request is not served for version 2; version 2's is shared.
    const first = await infer(a, 'after');
    expect(first.model_version).toBe('2');
    expect(first.parameters?.['ferry_cache']).toBeUndefined();
    for (const replica of [b, c]) {
      const answer = await infer(replica, 'after');
      expect(answer.model_version).toBe('2');
      expect(answer.parameters?.['ferry_cache']).toBe('hit');
    }
  }, 60_000);
});
