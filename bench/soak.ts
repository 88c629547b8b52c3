/**
 * Soak: Ferry (its own process, the example repository) at ~80% of its capacity on loopback for a bounded time.
 *
 * 1. Capacity: CLOSED_LOOP requests in flight for CAPACITY_SECONDS: the rate Ferry answers with this generator on
 *    these cores (V2 REST JSON on the fast path, and TF Serving REST through Fastify, alternately).
 * 2. Soak: arrivals at LOAD_FACTOR x that rate on a fixed schedule for `--seconds` (default 600), whatever the
 *    answers. Every answer must be a 200; the server's RSS is sampled every 5 s and must stay within +-10% of its
 *    value after the first minute (after the first tenth, for runs shorter than 10 minutes); the event-loop delay
 *    p99 is read from the server's /metrics every 10 s.
 *
 *   node bench/soak.ts                 # 10 minutes
 *   node bench/soak.ts --seconds 120   # shorter
 * Exits 1 when an answer was not a 200 or RSS left its band. Arrivals due while MAX_IN_FLIGHT requests are
 * unanswered are skipped and counted: the machine gave the server less than the capacity measured at the start.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startFerryProcess } from './lib/processes.ts';
import { RawHttpPool, requestBytes } from './lib/raw-http-pool.ts';

const LOAD_FACTOR = 0.8;
const CLOSED_LOOP = 32;
/**
 * Requests the generator keeps in flight at most: an arrival due while that many are unanswered is skipped and
 * counted (the server fell behind the offered rate), so that a slow stretch cannot run the generator out of sockets.
 */
const MAX_IN_FLIGHT = 256;
const CAPACITY_SECONDS = 10;
const RSS_BAND = 0.1;
const RSS_SAMPLE_MS = 5000;
const METRICS_SAMPLE_MS = 10_000;
/** prom-client's event-loop monitor samples every 10 ms, and counts that wait in every value. */
const LOOP_MONITOR_INTERVAL_MS = 10;

function secondsFlag(): number {
  const at = process.argv.indexOf('--seconds');
  const value = at >= 0 ? Number(process.argv[at + 1]) : Number(process.env['SOAK_SECONDS'] ?? 600);
  if (!Number.isFinite(value) || value < 10) throw new Error('--seconds must be a number of at least 10');
  return value;
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** The requests the soak sends in turn: one through the V2 fast path, one through a Fastify route. */
function requests(baseUrl: string): Buffer[] {
  const row = Array.from({ length: 16 }, (_, i) => i);
  const v2 = JSON.stringify({ inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: row },
  ] });
  const tf = JSON.stringify({ instances: [1, 2, 5] });
  const json = { 'content-type': 'application/json' };
  return [
    requestBytes(new URL(`${baseUrl}/v2/models/simple/infer`), json, Buffer.from(v2)),
    requestBytes(new URL(`${baseUrl}/v1/models/half_plus_two:predict`), json, Buffer.from(tf)),
  ];
}

interface Tally {
  ok: number;
  failed: number;
  firstFailure?: string;
}

export async function main(): Promise<boolean> {
  const seconds = secondsFlag();
  const server = await startFerryProcess();
  const pid = server.child.pid!;
  const pool = new RawHttpPool(Number(new URL(server.url).port));
  const bodies = requests(server.url);
  let turn = 0;
  const tally: Tally = { ok: 0, failed: 0 };
  const fire = async () => {
    const answer = await pool.request(bodies[turn++ % bodies.length]!);
    if (answer.status === 200) tally.ok++;
    else {
      tally.failed++;
      tally.firstFailure ??= `status ${answer.status} ${answer.error ?? ''}`;
    }
  };
  try {
    // Capacity.
    const began = performance.now();
    const end = began + CAPACITY_SECONDS * 1000;
    await Promise.all(Array.from({ length: CLOSED_LOOP }, async () => {
      while (performance.now() < end) await fire();
    }));
    const capacity = tally.ok / ((performance.now() - began) / 1000);
    const rate = capacity * LOAD_FACTOR;
    console.log(`capacity ${capacity.toFixed(0)} req/s (closed loop, ${CLOSED_LOOP} in flight); soaking at ${rate.toFixed(0)} req/s for ${seconds} s`);
    tally.ok = 0;
    tally.failed = 0;

    // Soak: arrivals on a 1 ms tick at `rate`, whatever the answers.
    const referenceAfterMs = Math.min(60_000, seconds * 100);
    const rss: { atMs: number; bytes: number }[] = [];
    const loopP99: number[] = [];
    let loopMax = 0;
    const pending = new Set<Promise<void>>();
    const soakBegan = performance.now();
    let sent = 0;
    let skipped = 0;
    const rssTimer = setInterval(() => rss.push({ atMs: performance.now() - soakBegan, bytes: rssBytes(pid) }), RSS_SAMPLE_MS);
    const metricsTimer = setInterval(() => {
      void fetch(`${server.url}/metrics`).then((r) => r.text()).then((text) => {
        const lag = (stat: string) => Number(new RegExp(`^ferry_process_nodejs_eventloop_lag_${stat}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000 - LOOP_MONITOR_INTERVAL_MS;
        loopP99.push(lag('p99'));
        loopMax = Math.max(loopMax, lag('max'));
      }, () => undefined);
    }, METRICS_SAMPLE_MS);
    let lastReport = 0;
    await new Promise<void>((resolve) => {
      const ticker = setInterval(() => {
        const elapsed = performance.now() - soakBegan;
        if (elapsed >= seconds * 1000) {
          clearInterval(ticker);
          resolve();
          return;
        }
        const due = Math.floor((elapsed / 1000) * rate);
        for (; sent < due; sent++) {
          if (pending.size >= MAX_IN_FLIGHT) {
            skipped++;
            continue;
          }
          const p = fire();
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        if (elapsed - lastReport >= 60_000) {
          lastReport = elapsed;
          console.log(`  ${(elapsed / 1000).toFixed(0)} s: ${tally.ok} ok, ${tally.failed} failed${tally.firstFailure ? ` (first: ${tally.firstFailure})` : ''}, ${skipped} skipped, RSS ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`);
        }
      }, 1);
    });
    await Promise.all(pending);
    clearInterval(rssTimer);
    clearInterval(metricsTimer);
    const soakSeconds = (performance.now() - soakBegan) / 1000;

    const reference = rss.find((s) => s.atMs >= referenceAfterMs) ?? rss.at(-1)!;
    const after = rss.filter((s) => s.atMs >= reference.atMs).map((s) => s.bytes);
    const low = Math.min(...after) / reference.bytes - 1;
    const high = Math.max(...after) / reference.bytes - 1;
    const sortedP99 = [...loopP99].sort((a, b) => a - b);
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`soak: ${seconds} s at ${rate.toFixed(0)} req/s (${LOAD_FACTOR * 100}% of ${capacity.toFixed(0)} req/s measured in this run)`);
    console.log(`  answers        ${tally.ok} x 200, ${tally.failed} errors${tally.firstFailure ? ` (first: ${tally.firstFailure})` : ''}; ${(tally.ok / soakSeconds).toFixed(0)} req/s; ${skipped} arrivals skipped with ${MAX_IN_FLIGHT} unanswered`);
    console.log(`  RSS            ${mib(reference.bytes)} at ${(reference.atMs / 1000).toFixed(0)} s; after it ${pct(low)} .. +${pct(high)} (band +-${pct(RSS_BAND)}); start ${mib(rss[0]?.bytes ?? NaN)}, end ${mib(rss.at(-1)?.bytes ?? NaN)}`);
    console.log(`  event loop p99 median ${sortedP99[Math.floor(sortedP99.length / 2)]?.toFixed(1)} ms, worst 10 s window ${sortedP99.at(-1)?.toFixed(1)} ms; max ${loopMax.toFixed(1)} ms`);
    const passed = tally.failed === 0 && low >= -RSS_BAND && high <= RSS_BAND;
    console.log(passed ? 'soak passed' : 'soak FAILED');
    return passed;
  } finally {
    pool.close();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  main().then((passed) => process.exit(passed ? 0 : 1), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
