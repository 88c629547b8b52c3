import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRepository, type ScratchRepository } from './fixtures/repos/materialize.ts';
import { logitsMismatch, metricSample, pickRows, referenceRows, type Row } from './fixtures/repos/reference-rows.ts';
import { postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * The prediction cache on a real Redis (`cache.url`): two servers share hits, and a killed Redis connection
 * costs nothing but misses until the client has reconnected. FERRY_TEST_REDIS_URL (default redis://127.0.0.1:6379);
 * skipped with a printed reason when Redis is unreachable, except under CI=true, where that fails.
 */
const REDIS_URL = process.env['FERRY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env['CI'] === 'true';

async function unreachableReason(url: string): Promise<string | undefined> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${url} is unreachable (${(cause ?? (error as Error)).message})`;
  } finally {
    probe.disconnect();
  }
}

const unreachable = await unreachableReason(REDIS_URL);
if (unreachable && !IN_CI) console.warn(`skipping the Redis cache tests: ${unreachable}; set FERRY_TEST_REDIS_URL to run them`);

/** Local TCP ports of this process's sockets (Linux /proc): the servers under test run in this process. */
function ownLocalPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // the descriptor closed while we looked
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9]!)) ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** CLIENT LIST entries of the prediction caches of this process (not other processes sharing the Redis). */
async function ownCacheClients(admin: Redis): Promise<{ id: string; addr: string }[]> {
  const ports = ownLocalPorts();
  const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
  return list.split('\n').filter(Boolean).map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=', 2) as [string, string])))
    .filter((c) => c['name'] === 'ferry-cache' && ports.has(Number(c['addr']!.split(':').pop())))
    .map((c) => ({ id: c['id']!, addr: c['addr']! }));
}

describe.skipIf(unreachable !== undefined && !IN_CI)('prediction cache on Redis', () => {
  let repo: ScratchRepository;
  let a: RunningFerry;
  let b: RunningFerry;
  let admin: Redis;
  const rows = referenceRows('mlp');
  // A parameter unique to this run splits the keys, so hits left in Redis by earlier runs cannot answer.
  const run = randomUUID();

  beforeAll(async () => {
    if (unreachable) throw new Error(`CI=true and ${unreachable}`);
    repo = await materializeRepository('cache', { mlp_cached: 'mlp' });
    a = await startFerry({ model_repository: repo.root, cache: { url: REDIS_URL } });
    b = await startFerry({ model_repository: repo.root, cache: { url: REDIS_URL } });
    admin = new Redis(REDIS_URL, { connectionName: 'ferry-test-admin' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    admin?.disconnect();
    await repo?.remove();
  });

  const infer = (server: RunningFerry, mine: readonly Row[], tag: string) => postJson(`${server.url}/v2/models/mlp_cached/infer`, {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [mine.length, 256], data: mine.flatMap((r) => r.inputs['input']!) }],
    parameters: { test_run: `${run}-${tag}` },
  });
  const isHit = (answer: { body: any }) => answer.body.parameters?.['ferry_cache'] === 'hit';
  /** Asks until the answer is a hit (at most `tries` times, `pauseMs` apart); every answer must be a correct 200. */
  const askUntilHit = async (server: RunningFerry, mine: readonly Row[], tag: string, tries: number, pauseMs: number) => {
    for (let i = 0; i < tries; i++) {
      const answer = await infer(server, mine, tag);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(logitsMismatch(answer.body.outputs[0].data, mine)).toBeUndefined();
      if (isHit(answer)) return { answer, tries: i + 1 };
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return undefined;
  };

  it('shares hits between two servers', async () => {
    const mine = pickRows(rows, 0, 5);
    const first = await infer(a, mine, 'shared');
    expect(first.status).toBe(200);
    expect(isHit(first)).toBe(false);
    expect(logitsMismatch(first.body.outputs[0].data, mine)).toBeUndefined();
    // Once server A hits, the entry is in Redis (A has no local tier); server B's very first request must hit.
    expect(await askUntilHit(a, mine, 'shared', 20, 25)).toBeDefined();
    const fromB = await infer(b, mine, 'shared');
    expect(fromB.status).toBe(200);
    expect(isHit(fromB)).toBe(true);
    expect(fromB.body.outputs).toEqual(first.body.outputs);
    const text = await (await fetch(`${b.url}/metrics`)).text();
    expect(metricSample(text, 'ferry_cache_requests_total', { model: 'mlp_cached', result: 'hit' })).toBe(1);
    expect(metricSample(text, 'ferry_cache_requests_total', { model: 'mlp_cached', result: 'miss' })).toBe(0);
  });

  it('keeps answering (as misses) when its Redis connection is killed, then hits again once reconnected', async () => {
    const mine = pickRows(rows, 2, 3);
    expect(await askUntilHit(a, mine, 'outage', 20, 25)).toBeDefined();

    const errors = async () => metricSample(await (await fetch(`${a.url}/metrics`)).text(), 'ferry_cache_events_total', { event: 'error' });
    const errorsBefore = await errors();
    const victims = await ownCacheClients(admin);
    expect(victims.length, 'this process\'s ferry-cache connections in CLIENT LIST').toBeGreaterThanOrEqual(1);
    let killed = 0;
    for (const victim of victims) killed += Number(await admin.call('CLIENT', 'KILL', 'ID', victim.id));
    expect(killed).toBe(victims.length);

    // Right after the kill every request still succeeds with the right numbers; while the client is down they are misses.
    const during = await Promise.all(Array.from({ length: 8 }, () => infer(a, mine, 'outage')));
    for (const answer of during) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(logitsMismatch(answer.body.outputs[0].data, mine)).toBeUndefined();
    }
    // Reconnecting waits ≥ 100 ms, so requests sent at once find the connection gone: misses, counted as errors.
    expect(during.filter((answer) => !isHit(answer)).length).toBeGreaterThan(0);
    expect(await errors()).toBeGreaterThan(errorsBefore);

    // The client reconnects by itself (back-off ≤ 2 s) and hits resume, on a new connection.
    const resumed = await askUntilHit(a, mine, 'outage', 60, 100);
    expect(resumed, 'hits resumed within ~6 s').toBeDefined();
    const now = await ownCacheClients(admin);
    expect(now.length).toBeGreaterThanOrEqual(1);
    expect(now.filter((c) => victims.some((v) => v.id === c.id))).toEqual([]);
  });
});
