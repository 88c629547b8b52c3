/**
 * `ferry serve --workers 1` against `--workers 2` on the same load (V2 JSON infer on the `simple` model, batch 1,
 * 64 connections), in interleaved slices of one run: requests/s of each and their ratio. On a 2-core machine the
 * load generator takes CPU from the servers, so the ratio shows what a second process adds here, not on a machine
 * with cores to spare.
 */
import { pathToFileURL } from 'node:url';
import { formatLoad, loadGenerator } from './lib/load.ts';
import { measureInterleaved } from './lib/interleave.ts';
import { startFerryProcess } from './lib/processes.ts';
import { SIMPLE_BODY } from './v2-rest-vs-fastify.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 3;
const CONNECTIONS = 64;

export async function main(): Promise<{ one: number; two: number; ratio: number }> {
  const generator = loadGenerator();
  const one = await startFerryProcess(['--workers', '1'], 'examples/models', {}, 120_000);
  const two = await startFerryProcess(['--workers', '2'], 'examples/models', {}, 120_000);
  try {
    const slice = Math.max(1, Math.round(SECONDS / ROUNDS));
    const [oneResult, twoResult] = await measureInterleaved(
      [{ label: '1 worker', url: `${one.url}/v2/models/simple/infer` }, { label: '2 workers', url: `${two.url}/v2/models/simple/infer` }],
      { body: SIMPLE_BODY, connections: CONNECTIONS, seconds: slice, rounds: ROUNDS, generator },
    );
    for (const [label, result] of [['1 worker', oneResult!], ['2 workers', twoResult!]] as const) {
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    const ratio = twoResult!.requestsPerSecond / oneResult!.requestsPerSecond;
    console.log(`## ferry serve --workers 1 vs 2 (simple model, batch 1, ${CONNECTIONS} connections, ${generator}, ${ROUNDS} x ${slice} s slices each, interleaved)`);
    console.log(formatLoad('--workers 1', oneResult!));
    console.log(formatLoad('--workers 2', twoResult!));
    console.log(`ratio 2 workers / 1 worker: ${ratio.toFixed(2)}`);
    return { one: oneResult!.requestsPerSecond, two: twoResult!.requestsPerSecond, ratio };
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
