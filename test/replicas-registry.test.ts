// Three `ferry serve` processes as replicas behind one Service: one repository volume whose model follows a
// registry alias, one PostgreSQL registry, one Redis prediction cache. An alias moved through one replica is
// served by all three within 2 s, and no replica answers the new version from the old version's cache entries.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerryProcess, type ServerProcess } from '../bench/lib/processes.ts';
import { digestLocal } from '../src/repository/artifacts/index.ts';
import { dropSchemas, pgStoreUrl, postgresReachable, randomSchema } from './helpers/postgres.ts';
import { ADMIN_TOKEN, managementApi, scaleArtifact, waitUntil } from './helpers/registry.ts';

const REDIS_URL = process.env['FERRY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    console.warn(`skipping the registry replicas test: Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`);
    if (process.env['CI'] === 'true') throw new Error(`CI=true requires the real Redis at ${REDIS_URL}`);
    return false;
  } finally {
    probe.disconnect();
  }
}

const reachable = (await postgresReachable('the registry replicas test')) && (await redisReachable());

interface Answer { status: number; version?: string; y?: number[]; cache?: unknown }

describe.runIf(reachable)('three replicas sharing a repository, a PostgreSQL registry and a Redis cache', () => {
  const schema = randomSchema();
  const run = randomUUID();
  const replicas: ServerProcess[] = [];
  const dirs: string[] = [];
  let artifacts = '';
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const infer = async (replica: ServerProcess, tag: string): Promise<Answer> => {
    const response = await fetch(`${replica.url}/v2/models/scale/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }], parameters: { test_run: `${run}-${tag}` } }),
    });
    const body = await response.json() as { model_version?: string; outputs?: { data: number[] }[]; parameters?: Record<string, unknown> };
    return { status: response.status, version: body.model_version, y: body.outputs?.[0]?.data, cache: body.parameters?.['ferry_cache'] };
  };
  const register = async (k: 1 | 2) => {
    const folder = await scaleArtifact(path.join(artifacts, `scale-${k}`), k);
    const { digest, files } = await digestLocal(folder);
    const created = await managementApi(replicas[0]!.url).register('scale', folder, { digest, files });
    expect(created.status).toBe(201);
    return created.body.version as number;
  };

  beforeAll(async () => {
    artifacts = await tempDir('ferry-replicas-artifacts-');
    // The shared volume: one model folder whose model.yaml follows the alias and caches its answers.
    const repository = await tempDir('ferry-replicas-repo-');
    await mkdir(path.join(repository, 'scale'));
    await writeFile(path.join(repository, 'scale', 'model.yaml'), 'source: models:/scale@champion\ncache: {ttl_s: 120}\n');
    for (let i = 0; i < 3; i++) {
      const dataDir = await tempDir('ferry-replicas-data-');
      replicas.push(await startFerryProcess(['--registry-store', pgStoreUrl(schema), '--data-dir', dataDir], repository, {
        FERRY_HTTP_PORT: '', FERRY_CACHE_URL: REDIS_URL, FERRY_AUTH_TOKENS: `release:admin:${ADMIN_TOKEN}`,
        // Polling is slow on purpose: the switch must come from PostgreSQL's notifications.
        FERRY_REGISTRY_POLL_SECONDS: '30', FERRY_REGISTRY_ARTIFACTS_ALLOW: artifacts,
      }, 90_000));
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await dropSchemas([schema]);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('follows an alias moved through one replica on all three, sharing cache entries only within a version', async () => {
    const [a, b, c] = replicas as [ServerProcess, ServerProcess, ServerProcess];
    expect(await register(1)).toBe(1);
    expect(await register(2)).toBe(2);
    expect((await managementApi(a.url).setAlias('scale', 'champion', 1)).status).toBe(200);
    for (const replica of replicas) {
      await waitUntil(async () => (await infer(replica, 'probe-1')).version === '1', 20_000, 'version 1 serving');
    }
    // Computed once, answered from Redis by the other two.
    expect(await infer(a, 'shared')).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4], cache: undefined });
    expect(await infer(b, 'shared')).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4], cache: 'hit' });
    expect(await infer(c, 'shared')).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4], cache: 'hit' });

    const moved = performance.now();
    expect((await managementApi(b.url).setAlias('scale', 'champion', 2)).status).toBe(200);
    const times = await Promise.all(replicas.map(async (replica) => {
      await waitUntil(async () => (await infer(replica, 'probe-2')).version === '2', 10_000, 'version 2 serving');
      return performance.now() - moved;
    }));
    console.log(`three replicas over PostgreSQL: first answer from the new version after ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    for (const t of times) expect(t).toBeLessThan(2000);

    // The same request as before: version 2 computes it afresh (the key holds the version), then shares it.
    expect(await infer(c, 'shared')).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8], cache: undefined });
    expect(await infer(a, 'shared')).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8], cache: 'hit' });
    expect(await infer(b, 'shared')).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8], cache: 'hit' });

    // The move is in the shared audit log, under the token's name, whichever replica is asked.
    const audit = await managementApi(c.url).call('GET', '/api/v1/audit?model=scale');
    expect(audit.status).toBe(200);
    const entries = (audit.body.entries ?? audit.body) as { action: string; actor: string; detail?: Record<string, unknown> }[];
    expect(entries.filter((e) => e.action.includes('alias')).map((e) => e.actor)).toEqual(['release', 'release']);
  }, 120_000);
});
