/**
 * What tracing and the payload log cost on the V2 REST hot path: the same Ferry with both off (the default), with
 * tracing on (every request sampled, spans exported over OTLP/HTTP to a receiver in this process that discards
 * them) and with the payload log on (every exchange to a file), measured in interleaved slices of one run on the
 * `simple` model at batch 1. Prints requests/s of each and its ratio to off.
 *
 * Off is the default path: the hooks there are an undefined check per request and nothing else. That it adds
 * nothing measurable is measured against the revision before the hooks, on the same load in one run:
 * `npx node bench/against-revision.ts adcd876`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatLoad, loadGenerator } from './lib/load.ts';
import { measureInterleaved } from './lib/interleave.ts';
import { startFerryProcess } from './lib/processes.ts';
import { SIMPLE_BODY } from './v2-rest-vs-fastify.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 12);
const ROUNDS = 3;
const CONNECTIONS = 64;

export async function main(): Promise<{ off: number; tracing: number; payloadLog: number }> {
  const generator = loadGenerator();
  let spansBytes = 0;
  const receiver = createServer((req, res) => {
    req.on('data', (c: Buffer) => (spansBytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-bench-payloads-'));
  const off = await startFerryProcess();
  const traced = await startFerryProcess([], 'examples/models', {
    FERRY_TRACING_ENABLED: 'true', OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`,
  });
  const logged = await startFerryProcess([], 'examples/models', { FERRY_PAYLOAD_LOG_FILE: path.join(dir, 'payloads.jsonl') });
  try {
    const slice = Math.max(1, Math.round(SECONDS / ROUNDS));
    const targets = [
      { label: 'off (default)', url: `${off.url}/v2/models/simple/infer` },
      { label: 'tracing on (all sampled, OTLP)', url: `${traced.url}/v2/models/simple/infer` },
      { label: 'payload log on (file)', url: `${logged.url}/v2/models/simple/infer` },
    ];
    const results = await measureInterleaved(targets, { body: SIMPLE_BODY, connections: CONNECTIONS, seconds: slice, rounds: ROUNDS, generator });
    console.log(`## observability cost on V2 REST (simple model, batch 1, ${CONNECTIONS} connections, ${generator}, ${ROUNDS} x ${slice} s slices each, interleaved)`);
    results.forEach((result, i) => console.log(formatLoad(targets[i]!.label, result)));
    const [offResult, tracedResult, loggedResult] = results as [typeof results[0], typeof results[0], typeof results[0]];
    console.log(`ratio tracing on / off: ${(tracedResult.requestsPerSecond / offResult.requestsPerSecond).toFixed(2)} (${(spansBytes / 1e6).toFixed(1)} MB of spans exported)`);
    console.log(`ratio payload log on / off: ${(loggedResult.requestsPerSecond / offResult.requestsPerSecond).toFixed(2)}`);
    return { off: offResult.requestsPerSecond, tracing: tracedResult.requestsPerSecond, payloadLog: loggedResult.requestsPerSecond };
  } finally {
    await Promise.all([off.stop(), traced.stop(), logged.stop()]);
    receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
