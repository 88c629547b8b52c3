/**
 * gRPC ModelInfer against V2 REST JSON infer, batch 1, 64 calls in flight, one after the other against the same
 * `ferry serve` child process in the same run; prints each figure and the ratios. Two models: `simple` (two
 * INT32 [1,16] inputs, the protocol-overhead case) and `mlp` (one FP32 [1,256] input, where JSON numbers cost).
 *
 *   node bench/grpc.ts            (BENCH_SECONDS sets the measuring time per run, default 8)
 *
 * The gRPC load generator speaks the gRPC wire protocol over node:http2 directly (HTTP/2 POST, 5-byte message
 * prefix, grpc-status trailer) with requests encoded once, like ghz or h2load: a grpc-js client costs more CPU
 * per call than the server under test and would measure itself. autocannon plays the same role for REST.
 */
import http2 from 'node:http2';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { TYPES } from '../src/protocol/v2-grpc/schema.ts';
import { formatLoad, runLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, startProcess } from './lib/processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
/** Each load's SECONDS are split into this many slices, interleaved with the other loads'. */
const ROUNDS = 4;
const IN_FLIGHT = 64;
/** HTTP/2 connections the gRPC calls are spread over (each carries IN_FLIGHT / CONNECTIONS streams). */
const CONNECTIONS = 4;
const METHOD = '/inference.GRPCInferenceService/ModelInfer';

interface Workload {
  readonly label: string;
  readonly model: string;
  readonly restBody: string;
  /** ModelInferRequest with raw_input_contents, and the same request with typed contents. */
  readonly raw: Buffer;
  readonly typed: Buffer;
}

const encode = (message: object) => Buffer.from(TYPES.ModelInferRequest.encode(message).finish());

function simpleWorkload(): Workload {
  const row = Array.from({ length: 16 }, (_, i) => i);
  const inputs = ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16] }));
  return {
    label: 'simple (2 x INT32 [1,16])',
    model: 'simple',
    restBody: JSON.stringify({ inputs: inputs.map((input) => ({ ...input, data: row })) }),
    raw: encode({ model_name: 'simple', inputs, raw_input_contents: inputs.map(() => Buffer.from(Int32Array.from(row).buffer)) }),
    typed: encode({ model_name: 'simple', inputs: inputs.map((input) => ({ ...input, contents: { int_contents: row } })) }),
  };
}

function mlpWorkload(): Workload {
  const values = Array.from({ length: 256 }, (_, i) => Math.fround(Math.sin(i) * 3));
  const input = { name: 'input', datatype: 'FP32', shape: [1, 256] };
  return {
    label: 'mlp (FP32 [1,256])',
    model: 'mlp',
    restBody: JSON.stringify({ inputs: [{ ...input, data: values }] }),
    raw: encode({ model_name: 'mlp', inputs: [input], raw_input_contents: [Buffer.from(Float32Array.from(values).buffer)] }),
    typed: encode({ model_name: 'mlp', inputs: [{ ...input, contents: { fp32_contents: values } }] }),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One unary gRPC call on an HTTP/2 session; resolves with the grpc-status and the response message. */
function call(session: http2.ClientHttp2Session, frame: Buffer): Promise<{ status: string; message: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': METHOD, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let status = '';
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']); // trailers-only answer
    });
    stream.on('trailers', (trailers) => (status = String(trailers['grpc-status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, message: Buffer.concat(chunks).subarray(5) }));
    stream.on('error', reject);
    stream.end(frame);
  });
}

/** Keeps IN_FLIGHT ModelInfer calls going for `seconds` over CONNECTIONS HTTP/2 connections. */
async function grpcLoad(address: string, message: Buffer, seconds: number): Promise<LoadResult> {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const sessions = Array.from({ length: CONNECTIONS }, () => http2.connect(`http://${address}`));
  const latencies: number[] = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  const began = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, i) => {
    const session = sessions[i % CONNECTIONS]!;
    while (performance.now() < until) {
      const started = performance.now();
      const { status } = await call(session, frame);
      if (status === '0') latencies.push(performance.now() - started);
      else failures += 1;
    }
  }));
  const elapsed = (performance.now() - began) / 1000;
  for (const session of sessions) session.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requestsPerSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors: failures, non2xx: 0, total: latencies.length };
}

/** One call whose answer is decoded and checked, so a fast wrong server cannot post a figure. */
async function checkAnswer(address: string, workload: Workload): Promise<void> {
  const session = http2.connect(`http://${address}`);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), workload.raw]);
  frame.writeUInt32BE(workload.raw.length, 1);
  const { status, message } = await call(session, frame);
  session.close();
  const response = TYPES.ModelInferResponse.decode(message) as unknown as { model_name: string; raw_output_contents: Buffer[] };
  if (status !== '0' || response.model_name !== workload.model || response.raw_output_contents.length === 0) {
    throw new Error(`unexpected answer from ${workload.model}: grpc-status ${status}`);
  }
  if (workload.model === 'simple') {
    const sum = new Int32Array(response.raw_output_contents[0]!.buffer.slice(response.raw_output_contents[0]!.byteOffset, response.raw_output_contents[0]!.byteOffset + 64));
    if (sum[15] !== 30) throw new Error(`simple answered OUTPUT0[15] = ${sum[15]}, expected 30`);
  }
}

type Measured = LoadResult & { cpuUsPerRequest: number; serverBusy: number };

/**
 * Runs each load in ROUNDS interleaved slices (a, b, c, a, b, c, ...) of SECONDS / ROUNDS each, so that the
 * other work on a shared machine weighs on every load alike, and adds the server's CPU time per answered request.
 */
async function interleaved(pid: number, loads: readonly ((seconds: number) => Promise<LoadResult>)[]): Promise<Measured[]> {
  const slices = loads.map(() => [] as { result: LoadResult; cpu: number; wall: number }[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, load] of loads.entries()) {
      const cpuBefore = cpuSeconds(pid);
      const began = performance.now();
      const result = await load(SECONDS / ROUNDS);
      slices[i]!.push({ result, cpu: cpuSeconds(pid) - cpuBefore, wall: (performance.now() - began) / 1000 });
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return slices.map((runs) => {
    const total = runs.reduce((n, r) => n + r.result.total, 0);
    const wall = runs.reduce((n, r) => n + r.wall, 0);
    const cpu = runs.reduce((n, r) => n + r.cpu, 0);
    return {
      requestsPerSecond: total / wall, total,
      p50Ms: median(runs.map((r) => r.result.p50Ms)), p99Ms: median(runs.map((r) => r.result.p99Ms)),
      errors: runs.reduce((n, r) => n + r.result.errors, 0), non2xx: runs.reduce((n, r) => n + r.result.non2xx, 0),
      cpuUsPerRequest: (cpu * 1e6) / total, serverBusy: cpu / wall,
    };
  });
}

const describe = (label: string, r: Measured) =>
  `${formatLoad(label, r)}   server ${r.cpuUsPerRequest.toFixed(0)} µs CPU/req (${(r.serverBusy * 100).toFixed(0)}% busy)`;

function ensureClean<T extends LoadResult>(label: string, r: T): T {
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${label}: ${r.errors} errors, ${r.non2xx} non-2xx`);
  return r;
}

export async function main(): Promise<Record<string, number>> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const server = await startProcess(
    ['bin/ferry.js', 'serve', 'examples/models', '--http-port', String(httpPort), '--grpc-port', String(grpcPort), '--poll-seconds', '0', '--log-level', 'info'],
    /"msg":"ferry serving"/,
    () => `http://127.0.0.1:${httpPort}`,
  );
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const figures: Record<string, number> = {};
  try {
    console.log(`## gRPC ModelInfer vs V2 REST JSON (batch 1, ${IN_FLIGHT} in flight, ${SECONDS} s each in ${ROUNDS} interleaved slices, server in a child process)`);
    for (const workload of [simpleWorkload(), mlpWorkload()]) {
      await checkAnswer(grpcAddress, workload);
      const restUrl = `${server.url}/v2/models/${workload.model}/infer`;
      // Warm each path (JIT, connections), then measure each for the same bounded time.
      await grpcLoad(grpcAddress, workload.raw, 2);
      await grpcLoad(grpcAddress, workload.typed, 1);
      // autocannon, like the gRPC client, runs in this process: both sides are driven by a generator of the same kind.
      await runLoad({ url: restUrl, body: workload.restBody, connections: IN_FLIGHT, seconds: 2, generator: 'autocannon' });
      const [raw, typed, rest] = (await interleaved(server.child.pid!, [
        (seconds) => grpcLoad(grpcAddress, workload.raw, seconds),
        (seconds) => grpcLoad(grpcAddress, workload.typed, seconds),
        (seconds) => runLoad({ url: restUrl, body: workload.restBody, connections: IN_FLIGHT, seconds, generator: 'autocannon' }),
      ])).map((r, i) => ensureClean(['gRPC raw', 'gRPC typed', 'REST JSON'][i]!, r)) as [Measured, Measured, Measured];
      console.log(`### ${workload.label}`);
      console.log(describe('gRPC ModelInfer, raw_input_contents', raw));
      console.log(describe('gRPC ModelInfer, typed contents', typed));
      console.log(describe('V2 REST JSON', rest));
      console.log(`ratio gRPC raw / REST JSON: ${(raw.requestsPerSecond / rest.requestsPerSecond).toFixed(2)} req/s, ${(raw.cpuUsPerRequest / rest.cpuUsPerRequest).toFixed(2)} CPU/req`
        + `   gRPC typed / REST JSON: ${(typed.requestsPerSecond / rest.requestsPerSecond).toFixed(2)} req/s, ${(typed.cpuUsPerRequest / rest.cpuUsPerRequest).toFixed(2)} CPU/req`);
      figures[`${workload.model}.grpcRaw`] = raw.requestsPerSecond;
      figures[`${workload.model}.grpcTyped`] = typed.requestsPerSecond;
      figures[`${workload.model}.rest`] = rest.requestsPerSecond;
    }
    return figures;
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
