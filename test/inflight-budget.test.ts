import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerryProcess, type FerryProcess } from './helpers/ferry-process.ts';
import { postLargeBody, type LargeBodyAnswer } from './helpers/large-body.ts';

const MiB = 1024 * 1024;
const BUDGET = 64 * MiB;

/** Samples the process's RSS every 50 ms and polls liveness every 100 ms while `work` runs. */
async function underWatch<T>(ferry: FerryProcess, work: () => Promise<T>): Promise<{ result: T; peakRss: number; health: number[] }> {
  let peakRss = ferry.rssBytes();
  const health: number[] = [];
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, ferry.rssBytes())), 50);
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const response = await fetch(`${ferry.url}/v2/health/live`, { signal: AbortSignal.timeout(10_000) });
      health.push(response.status);
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    const result = await work();
    return { result, peakRss, health };
  } finally {
    clearInterval(sampler);
    probing = false;
    await prober;
  }
}

describe('in-flight request bytes are bounded by limits.inflight_bytes', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerryProcess({ env: { FERRY_LIMITS_INFLIGHT_BYTES: String(BUDGET) } });
  }, 60_000);
  afterAll(async () => ferry?.stop());

  it('refuses declared bodies that do not fit with 503 and Retry-After before reading them; RSS stays bounded; health answers', async () => {
    const baseline = ferry.rssBytes();
    // 24 clients x 32 MiB = 768 MiB offered at once to a 64 MiB budget, on the V2 fast path and a Fastify route.
    const paths = ['/v2/models/simple/infer', '/v1/models/simple:predict'];
    const { result: answers, peakRss, health } = await underWatch(ferry, () =>
      Promise.all(Array.from({ length: 24 }, (_, i) => postLargeBody(ferry.httpPort, paths[i % 2]!, 32 * MiB))));
    const refused = answers.filter((a) => a.status === 503);
    const seen = JSON.stringify(answers.map((a) => [a.status, a.sent, a.error]));
    // Two 32 MiB bodies fill the budget: most of the others arrive while two are held.
    expect(refused.length, seen).toBeGreaterThanOrEqual(8);
    for (const answer of refused) {
      expect(answer.retryAfter).toBe('1');
      expect(JSON.parse(answer.body).error).toMatch(/server busy: a request of 33554432 bytes does not fit in the 67108864 bytes .*limits\.inflight_bytes/);
      // Refused on its headers: the client had written little of its 32 MiB when the answer came.
      expect(answer.sent, seen).toBeLessThan(24 * MiB);
    }
    // The ones let in were read whole and refused by their decoder (a body of spaces is no JSON).
    const decoded = answers.filter((a) => a.status === 400);
    expect(decoded.length, seen).toBeGreaterThanOrEqual(1);
    // A refusal closes the connection: a client still writing may see the close (EPIPE, reset) before the answer.
    const cut = answers.filter((a) => a.status === undefined);
    for (const answer of cut) {
      expect(answer.error, seen).toMatch(/EPIPE|ECONNRESET/);
      expect(answer.sent, seen).toBeLessThan(24 * MiB);
    }
    expect(decoded.length + refused.length + cut.length, seen).toBe(answers.length);
    expect(peakRss - baseline, `peak RSS ${peakRss}, baseline ${baseline}`).toBeLessThan(400 * MiB);
    expect(health.length).toBeGreaterThan(0);
    expect(health, 'liveness statuses during the storm').toEqual(health.map(() => 200));
    // Everything held was given back: a request that fits is let in again.
    const after = await postLargeBody(ferry.httpPort, '/v2/models/simple/infer', 32 * MiB);
    expect(after.status).toBe(400);
  }, 180_000);

  it('counts chunked bodies as they stream, on the fast path and Fastify routes, and refuses past the budget', async () => {
    const paths = ['/v2/models/simple/infer', '/v1/models/simple:predict'];
    const answers: LargeBodyAnswer[] = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      postLargeBody(ferry.httpPort, paths[i % 2]!, 32 * MiB, { chunked: true })));
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const answer of refused) {
      expect(answer.retryAfter).toBe('1');
      expect(JSON.parse(answer.body).error).toMatch(/limits\.inflight_bytes/);
    }
    expect(answers.every((a) => a.status === 503 || a.status === 400 || /EPIPE|ECONNRESET/.test(a.error ?? '')), JSON.stringify(answers.map((a) => [a.status, a.sent, a.error]))).toBe(true);
    const health = await fetch(`${ferry.url}/v2/health/live`);
    expect(health.status).toBe(200);
  }, 180_000);
});
