// Serving from a PostgreSQL registry: two Ferry processes follow one alias and both switch within 2 s of a move
// (LISTEN/NOTIFY: their polling is set to 30 s); a registry that becomes unreachable leaves what serves serving,
// shows in readiness and metrics, and is picked up again when it is back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { servingAddresses, stopChild, tracked } from './helpers/processes.ts';
import { digestLocal } from '../src/repository/artifacts/index.ts';
import { dropSchemas, pgStoreUrl, PG_URL, postgresReachable, randomSchema } from './helpers/postgres.ts';
import { ADMIN_TOKEN, inferScale, managementApi, scaleArtifact, waitUntil } from './helpers/registry.ts';
import { REPO_ROOT, startFerry } from './helpers/server.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';

const reachable = await postgresReachable('registry serving over PostgreSQL');
const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const schemas: string[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await dropSchemas(schemas);
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `ferry serve` as its own process, following models:/scale@champion in the given store. */
async function ferryProcess(store: string, artifacts: string): Promise<{ url: string; child: ChildProcess }> {
  const repository = await tempDir('ferry-pg-repo-');
  const dataDir = await tempDir('ferry-pg-data-');
  const child = tracked(spawn(NODE, [
    'bin/ferry.js', 'serve', repository, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0',
    '--data-dir', dataDir, '--registry-store', store, '--model', 'scale=models:/scale@champion',
  ], {
    cwd: REPO_ROOT,
    env: {
      ...process.env, FERRY_HTTP_PORT: '', FERRY_AUTH_TOKENS: `release:admin:${ADMIN_TOKEN}`,
      FERRY_REGISTRY_POLL_SECONDS: '30', FERRY_REGISTRY_ARTIFACTS_ALLOW: artifacts,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  cleanup.push(() => stopChild(child));
  const url = `http://127.0.0.1:${(await servingAddresses(child, 60_000)).http.split(':').at(-1)}`;
  return { url, child };
}

async function registerScale(api: ReturnType<typeof managementApi>, artifacts: string, k: 1 | 2, name: string): Promise<number> {
  const folder = await scaleArtifact(path.join(artifacts, name), k);
  const { digest, files } = await digestLocal(folder);
  const created = await api.register('scale', folder, { digest, files });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return created.body.version;
}

describe.runIf(reachable)('serving from a PostgreSQL registry', () => {
  it('switches two Ferry processes within 2 s of an alias move', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const artifacts = await tempDir('ferry-pg-artifacts-');
    const [a, b] = await Promise.all([ferryProcess(pgStoreUrl(schema), artifacts), ferryProcess(pgStoreUrl(schema), artifacts)]);
    const api = managementApi(a.url);
    await registerScale(api, artifacts, 1, 'one');
    await registerScale(api, artifacts, 2, 'two');
    await api.setAlias('scale', 'champion', 1);
    for (const p of [a, b]) await waitUntil(async () => (await inferScale(p.url)).version === '1', 10_000, 'version 1 serving');
    const moved = performance.now();
    await api.setAlias('scale', 'champion', 2);
    const times = await Promise.all([a, b].map(async (p) => {
      await waitUntil(async () => (await inferScale(p.url)).version === '2', 5000, 'version 2 serving');
      return performance.now() - moved;
    }));
    console.log(`two processes over PostgreSQL: first answer from the new version after ${times.map((t) => t.toFixed(0)).join(' and ')} ms`);
    for (const t of times) expect(t).toBeLessThan(2000);
    for (const p of [a, b]) expect(await inferScale(p.url)).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8] });
  }, 120_000);

  it('keeps serving while the registry is unreachable, reports it, and follows again once it is back', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const pg = new URL(PG_URL);
    const proxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(pgStoreUrl(schema));
    viaProxy.port = String(proxy.port);
    const artifacts = await tempDir('ferry-pg-artifacts-');
    const ferry = await startFerry({
      model_repository: await tempDir('ferry-pg-repo-'),
      auth: { tokens: [{ name: 'release', token: ADMIN_TOKEN, scopes: ['admin'] }] },
      registry: { store: viaProxy.toString(), poll_seconds: 0.1, artifacts: { allow: [artifacts] } },
      models: { scale: 'models:/scale@champion' },
    });
    cleanup.push(() => ferry.stop());
    const api = managementApi(ferry.url);
    await registerScale(api, artifacts, 1, 'one');
    await registerScale(api, artifacts, 2, 'two');
    await api.setAlias('scale', 'champion', 1);
    await waitUntil(async () => (await inferScale(ferry.url)).version === '1', 10_000, 'version 1 serving');

    await proxy.cut();
    const readiness = async () => (await fetch(`${ferry.url}/v2/health/ready`)).json() as Promise<{ ready: boolean; degraded?: { registry?: { detail: string } } }>;
    await waitUntil(async () => (await readiness()).degraded?.registry !== undefined, 10_000, 'degraded readiness');
    const ready = await fetch(`${ferry.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { degraded: { registry: { detail: string } } }).degraded.registry.detail).toMatch(/model registry unavailable/);
    const metrics = await (await fetch(`${ferry.url}/metrics`)).text();
    expect(metrics).toMatch(/^ferry_registry_reachable 0$/m);
    expect(Number(/^ferry_registry_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4] });
    expect((await api.call('GET', '/api/v1/models/scale')).status).toBe(503);

    await proxy.restore();
    await waitUntil(async () => (await readiness()).degraded === undefined, 40_000, 'registry reachable again');
    expect(await (await fetch(`${ferry.url}/metrics`)).text()).toMatch(/^ferry_registry_reachable 1$/m);
    await api.setAlias('scale', 'champion', 2);
    await waitUntil(async () => (await inferScale(ferry.url)).version === '2', 5000, 'version 2 serving after recovery');
  }, 120_000);
});
