/**
 * V2 JSON infer on the two-input `simple` model at batch 1 with 64 connections, against a bare Fastify route that
 * answers a fixed 60-byte JSON, measured one after the other in the same run. Prints both and their ratio.
 *
 * The headline ratio is measured with autocannon. autocannon runs in this process and on a
 * 2-core machine is close to its own limit at these rates, so when `wrk` is on PATH the same pair is measured again
 * with wrk (same interleaving, shorter slices) and printed as a second, server-bound block (BENCH_LOAD=autocannon
 * skips it).
 */
import { pathToFileURL } from 'node:url';
import { combineLoads, formatLoad, loadGenerator, runLoad, type LoadGenerator, type LoadResult } from './lib/load.ts';
import { startFerryProcess, startProcess } from './lib/processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 4;
const CONNECTIONS = 64;
/** Seconds per slice of the wrk pass: half the autocannon slices' (wrk takes whole seconds, at least 1). */
const WRK_SLICE_SECONDS = Math.max(1, Math.round(SECONDS / ROUNDS / 2));
const row = Array.from({ length: 16 }, (_, i) => i);
export const SIMPLE_BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: row },
  ],
});

interface Pair {
  readonly ferry: number;
  readonly bare: number;
  readonly ratio: number;
}

/** Bare and Ferry in ROUNDS alternating slices of `slice` seconds each, so that noise falls on both alike. */
async function measurePair(bareUrl: string, ferryUrl: string, generator: LoadGenerator, slice: number): Promise<[LoadResult, LoadResult]> {
  const bareRuns = [];
  const ferryRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await runLoad({ url: bareUrl, body: SIMPLE_BODY, connections: CONNECTIONS, seconds: slice, generator }));
    ferryRuns.push(await runLoad({ url: ferryUrl, body: SIMPLE_BODY, connections: CONNECTIONS, seconds: slice, generator }));
  }
  const bareResult = combineLoads(bareRuns);
  const ferryResult = combineLoads(ferryRuns);
  if (ferryResult.non2xx > 0 || ferryResult.errors > 0) throw new Error(`ferry answered ${ferryResult.non2xx} non-2xx and ${ferryResult.errors} errors (${generator})`);
  return [bareResult, ferryResult];
}

export async function main(): Promise<Pair & { readonly wrk?: Pair }> {
  const bare = await startProcess(['bench/lib/bare-fastify.ts'], /bare fastify ready/, (line) => `http://127.0.0.1:${JSON.parse(line).port}`);
  const ferry = await startFerryProcess();
  try {
    const bareUrl = `${bare.url}/infer`;
    const ferryUrl = `${ferry.url}/v2/models/simple/infer`;
    // Warm both (JIT, connection set-up), then alternate short measuring windows.
    await runLoad({ url: bareUrl, body: SIMPLE_BODY, connections: CONNECTIONS, seconds: 2, generator: 'autocannon' });
    await runLoad({ url: ferryUrl, body: SIMPLE_BODY, connections: CONNECTIONS, seconds: 2, generator: 'autocannon' });
    const [bareResult, ferryResult] = await measurePair(bareUrl, ferryUrl, 'autocannon', SECONDS / ROUNDS);
    const ratio = ferryResult.requestsPerSecond / bareResult.requestsPerSecond;
    console.log(`## V2 REST JSON infer vs bare Fastify (simple model, batch 1, ${CONNECTIONS} connections, autocannon)`);
    console.log(formatLoad('bare Fastify route (fixed 60-byte JSON)', bareResult));
    console.log(formatLoad('Ferry V2 /v2/models/simple/infer', ferryResult));
    console.log(`ratio ferry / bare fastify: ${ratio.toFixed(2)}`);
    const headline = { ferry: ferryResult.requestsPerSecond, bare: bareResult.requestsPerSecond, ratio };
    if (loadGenerator() !== 'wrk') {
      console.log('server-bound (wrk): skipped (BENCH_LOAD=autocannon, or no wrk on PATH)');
      return headline;
    }
    const [bareWrk, ferryWrk] = await measurePair(bareUrl, ferryUrl, 'wrk', WRK_SLICE_SECONDS);
    const wrkRatio = ferryWrk.requestsPerSecond / bareWrk.requestsPerSecond;
    console.log(`server-bound (wrk, 1 thread, ${CONNECTIONS} connections, ${ROUNDS} x ${WRK_SLICE_SECONDS} s slices each, interleaved):`);
    console.log(formatLoad('  bare Fastify route (fixed 60-byte JSON)', bareWrk));
    console.log(formatLoad('  Ferry V2 /v2/models/simple/infer', ferryWrk));
    console.log(`  ratio ferry / bare fastify (wrk): ${wrkRatio.toFixed(2)}`);
    return { ...headline, wrk: { ferry: ferryWrk.requestsPerSecond, bare: bareWrk.requestsPerSecond, ratio: wrkRatio } };
  } finally {
    await Promise.all([bare.stop(), ferry.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
