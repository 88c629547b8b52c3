import autocannon from 'autocannon';
import { runWrk, wrkAvailable } from './wrk.ts';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly total: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  readonly method?: 'GET' | 'POST';
  /** Which load generator; default from BENCH_LOAD (see loadGenerator). */
  readonly generator?: LoadGenerator;
}

export type LoadGenerator = 'autocannon' | 'wrk';

/**
 * The load generator a run uses: `requested` if given, else BENCH_LOAD — `autocannon`, `wrk`, or `auto` (the
 * default: wrk when it is on PATH, else autocannon). autocannon shares the bench's Node process and, on a 2-core
 * machine, tops out before the server does; wrk (C, its own process) shows more of the server's capacity.
 */
export function loadGenerator(requested?: LoadGenerator): LoadGenerator {
  if (requested !== undefined) return requested;
  const setting = process.env['BENCH_LOAD'] ?? 'auto';
  if (setting === 'autocannon' || setting === 'wrk') return setting;
  if (setting === 'auto') return wrkAvailable() ? 'wrk' : 'autocannon';
  throw new Error(`BENCH_LOAD=${setting}: expected autocannon, wrk or auto`);
}

/** A bounded load run on loopback with the chosen generator (see loadGenerator). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (loadGenerator(options.generator) === 'wrk') {
    if (!wrkAvailable()) throw new Error('load generator wrk requested but no wrk on PATH (Debian package wrk)');
    return runWrk(options);
  }
  return runAutocannon(options);
}

/** A bounded autocannon run on loopback. */
async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    headers: options.headers ?? { 'content-type': 'application/json' },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

export function formatLoad(label: string, r: LoadResult): string {
  return `${label.padEnd(44)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms   errors ${r.errors}   non-2xx ${r.non2xx}`;
}

/** Several measuring windows of one target as one result: requests/s averaged by time, worst p50/p99. */
export function combineLoads(runs: readonly LoadResult[]): LoadResult {
  const sum = (pick: (r: LoadResult) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    requestsPerSecond: sum((r) => r.requestsPerSecond) / runs.length,
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    total: sum((r) => r.total),
  };
}
