/**
 * V2 JSON infer on the two-input `simple` model at batch 1 with 64 connections, against a bare Fastify route that
 * answers a fixed 60-byte JSON, measured one after the other in the same run. Prints both and their ratio.
 */
import { pathToFileURL } from 'node:url';
import { combineLoads, formatLoad, runLoad } from './lib/load.ts';
import { startFerryProcess, startProcess } from './lib/processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 4;
const row = Array.from({ length: 16 }, (_, i) => i);
export const SIMPLE_BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: row },
  ],
});

export async function main(): Promise<{ ferry: number; bare: number; ratio: number }> {
  const bare = await startProcess(['bench/lib/bare-fastify.ts'], /bare fastify ready/, (line) => `http://127.0.0.1:${JSON.parse(line).port}`);
  const ferry = await startFerryProcess();
  try {
    // Warm both (JIT, connection set-up), then alternate short measuring windows so that noise from the rest of
    // the machine falls on both sides alike.
    await runLoad({ url: `${bare.url}/infer`, body: SIMPLE_BODY, connections: 64, seconds: 2 });
    await runLoad({ url: `${ferry.url}/v2/models/simple/infer`, body: SIMPLE_BODY, connections: 64, seconds: 2 });
    const bareRuns = [];
    const ferryRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await runLoad({ url: `${bare.url}/infer`, body: SIMPLE_BODY, connections: 64, seconds: SECONDS / ROUNDS }));
      ferryRuns.push(await runLoad({ url: `${ferry.url}/v2/models/simple/infer`, body: SIMPLE_BODY, connections: 64, seconds: SECONDS / ROUNDS }));
    }
    const bareResult = combineLoads(bareRuns);
    const ferryResult = combineLoads(ferryRuns);
    if (ferryResult.non2xx > 0 || ferryResult.errors > 0) throw new Error(`ferry answered ${ferryResult.non2xx} non-2xx and ${ferryResult.errors} errors`);
    const ratio = ferryResult.requestsPerSecond / bareResult.requestsPerSecond;
    console.log('## V2 REST JSON infer vs bare Fastify (simple model, batch 1, 64 connections)');
    console.log(formatLoad('bare Fastify route (fixed 60-byte JSON)', bareResult));
    console.log(formatLoad('Ferry V2 /v2/models/simple/infer', ferryResult));
    console.log(`ratio ferry / bare fastify: ${ratio.toFixed(2)}`);
    return { ferry: ferryResult.requestsPerSecond, bare: bareResult.requestsPerSecond, ratio };
  } finally {
    await Promise.all([bare.stop(), ferry.stop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
