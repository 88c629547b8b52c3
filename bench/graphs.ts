/**
 * What a graph costs over calling its model: requests/s of a two-node graph (a transformer that standardizes the
 * input, then half_plus_two) against half_plus_two called directly, on one Ferry, over V2 REST, measured in
 * interleaved slices of one run. Prints each and their ratio (target: at least 0.8).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatLoad, loadGenerator } from './lib/load.ts';
import { measureInterleaved } from './lib/interleave.ts';
import { startFerryProcess } from './lib/processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 3;
const CONNECTIONS = 64;
const BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [4], data: [1, 2, 3, 4] }] });
const GRAPH = `
nodes:
  - name: scale
    type: transformer
    steps: [{standardize: {x: {mean: [0.5], std: [2]}}}]
  - {name: model, type: model, model: half_plus_two, inputs: [scale]}
`;

export async function main(): Promise<{ direct: number; graph: number; ratio: number }> {
  const generator = loadGenerator();
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-bench-graphs-'));
  await cp(path.resolve(import.meta.dirname, '../examples/models/half_plus_two'), path.join(root, 'models/half_plus_two'), { recursive: true });
  await mkdir(path.join(root, 'deployments'));
  await writeFile(path.join(root, 'deployments/scaled.yaml'), GRAPH);
  const ferry = await startFerryProcess(['--data-dir', path.join(root, 'data')], path.join(root, 'models'));
  try {
    const slice = Math.max(1, Math.round(SECONDS / ROUNDS));
    const targets = [
      { label: 'half_plus_two directly', url: `${ferry.url}/v2/models/half_plus_two/infer` },
      { label: 'graph: transformer -> half_plus_two', url: `${ferry.url}/v2/models/scaled/infer` },
    ];
    const [direct, graph] = await measureInterleaved(targets, { body: BODY, connections: CONNECTIONS, seconds: slice, rounds: ROUNDS, generator }) as [Awaited<ReturnType<typeof measureInterleaved>>[0], Awaited<ReturnType<typeof measureInterleaved>>[0]];
    console.log(`## two-node graph against its model (V2 REST, 4 rows, ${CONNECTIONS} connections, ${generator}, ${ROUNDS} x ${slice} s slices each, interleaved)`);
    console.log(formatLoad(targets[0]!.label, direct));
    console.log(formatLoad(targets[1]!.label, graph));
    const ratio = graph.requestsPerSecond / direct.requestsPerSecond;
    console.log(`ratio graph / direct: ${ratio.toFixed(2)} (target >= 0.8)`);
    return { direct: direct.requestsPerSecond, graph: graph.requestsPerSecond, ratio };
  } finally {
    await ferry.stop();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
