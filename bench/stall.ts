/**
 * Event-loop stalls under the largest bodies the default limits allow: one `ferry serve` child process serving
 * half_plus_two (FP32 [-1] → FP32 [-1], so an answer is as long as its request; onnxruntime on a worker thread, so
 * that the event loop does the protocols' work alone), and for each protocol one request
 * as large as http.body_limit_bytes (64 MiB) or grpc.max_message_bytes (32 MiB) whose answer is as large again, while
 *
 *   - the server's own event-loop monitor (ferry_process_nodejs_eventloop_lag_max_seconds, reset by each scrape of
 *     /metrics) records the longest gap between two turns of its event loop, and
 *   - a probe sends GET /v2/health/live one after the other on its own connection and records the slowest answer.
 *
 * Prints each case's longest stall (the monitor's figure, which includes its 10 ms sampling interval) and its
 * ratio against the 50 ms ceiling (a ratio at or below 1 meets it), and against the same figures for a small request
 * measured first in the same run (what the machine's load alone makes of them); and the longest time the server's
 * event-loop thread spent on the CPU between two turns of its loop (lib/loop-cpu.ts, loaded into the server): on a
 * machine shared with other work, the part of a stall that is the server's own work rather than waiting for a core.
 *
 *   node bench/stall.ts          (STALL_CASES=v2-json,mlflow-csv runs a subset; STALL_MIB sets the body size)
 */
import http from 'node:http';
import http2 from 'node:http2';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TYPES } from '../src/protocol/v2-grpc/schema.ts';
import { REPO_ROOT, startProcess, type ServerProcess } from './lib/processes.ts';

const MiB = 1024 * 1024;
/** The default http.body_limit_bytes (64 MiB) and grpc.max_message_bytes (32 MiB); less room for the envelope. */
const BODY_BYTES = Number(process.env['STALL_MIB'] ?? 64) * MiB - 64 * 1024;
const GRPC_BYTES = Math.min(Number(process.env['STALL_MIB'] ?? 64), 32) * MiB - 64 * 1024;
const CEILING_MS = 50;
const MODEL = 'half_plus_two';

interface Case {
  readonly name: string;
  readonly path: string;
  readonly contentType: string;
  /** The body, and its Inference-Header-Content-Length for the binary extension. */
  readonly body: () => Buffer | { body: Buffer; headerLength: number };
  /** Sent as a gRPC call on the gRPC port instead of an HTTP POST. */
  readonly grpc?: boolean;
}

/** Digits 0-9 as JSON list items: two bytes each, the most elements a body of this size can carry. */
function digitList(bytes: number): { text: string; count: number } {
  const count = Math.floor(bytes / 2);
  const parts = new Array<string>(count);
  for (let i = 0; i < count; i++) parts[i] = String(i % 10);
  return { text: parts.join(','), count };
}

function floats(count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = i % 10;
  return values;
}

function binaryV2(jsonOut: boolean): { body: Buffer; headerLength: number } {
  const values = floats(Math.floor(BODY_BYTES / 4));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length], parameters: { binary_data_size: values.byteLength } }],
    ...(jsonOut ? {} : { parameters: { binary_data_output: true } }),
  }));
  return { body: Buffer.concat([header, Buffer.from(values.buffer)]), headerLength: header.length };
}

function grpcRequest(typed: boolean): Buffer {
  const values = floats(Math.floor(GRPC_BYTES / (typed ? 5 : 4)));
  const input = { name: 'x', datatype: 'FP32', shape: [values.length] };
  const message = typed
    ? { model_name: MODEL, inputs: [{ ...input, contents: { fp32_contents: Array.from(values) } }] }
    : { model_name: MODEL, inputs: [input], raw_input_contents: [Buffer.from(values.buffer)] };
  const bytes = Buffer.from(TYPES.ModelInferRequest.encode(message).finish());
  const framed = Buffer.alloc(5 + bytes.length);
  framed.writeUInt32BE(bytes.length, 1);
  bytes.copy(framed, 5);
  return framed;
}

const CASES: readonly Case[] = [
  {
    // The baseline: what the loaded machine alone makes of the monitor and the probe, with a request of 10 floats.
    name: 'baseline-small', path: `/v2/models/${MODEL}/infer`, contentType: 'application/json',
    body: () => Buffer.from('{"inputs":[{"name":"x","datatype":"FP32","shape":[10],"data":[0,1,2,3,4,5,6,7,8,9]}]}'),
  },
  {
    name: 'v2-json', path: `/v2/models/${MODEL}/infer`, contentType: 'application/json',
    body: () => {
      const { text, count } = digitList(BODY_BYTES);
      return Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${count}],"data":[${text}]}]}`);
    },
  },
  {
    name: 'v2-binary', path: `/v2/models/${MODEL}/infer`, contentType: 'application/octet-stream',
    body: () => binaryV2(false),
  },
  {
    name: 'v2-binary-in-json-out', path: `/v2/models/${MODEL}/infer`, contentType: 'application/octet-stream',
    body: () => binaryV2(true),
  },
  {
    name: 'tfserving', path: `/v1/models/${MODEL}:predict`, contentType: 'application/json',
    body: () => Buffer.from(`{"instances":[${digitList(BODY_BYTES).text}]}`),
  },
  {
    name: 'seldon', path: `/seldon/${MODEL}/api/v1.0/predictions`, contentType: 'application/json',
    body: () => {
      const { text, count } = digitList(BODY_BYTES);
      return Buffer.from(`{"data":{"tensor":{"shape":[${count}],"values":[${text}]}}}`);
    },
  },
  {
    name: 'mlflow-json', path: `/mlflow/${MODEL}/invocations`, contentType: 'application/json',
    body: () => Buffer.from(`{"inputs":[${digitList(BODY_BYTES).text}]}`),
  },
  {
    name: 'mlflow-csv', path: `/mlflow/${MODEL}/invocations`, contentType: 'text/csv',
    body: () => Buffer.from(`x\n${digitList(BODY_BYTES).text.replaceAll(',', '\n')}\n`),
  },
  { name: 'grpc-raw', path: '/inference.GRPCInferenceService/ModelInfer', contentType: 'application/grpc', grpc: true, body: () => grpcRequest(false) },
  { name: 'grpc-typed', path: '/inference.GRPCInferenceService/ModelInfer', contentType: 'application/grpc', grpc: true, body: () => grpcRequest(true) },
];

interface Answer {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
}

function post(base: URL, testCase: Case, body: Buffer, headerLength: number | undefined): Promise<Answer> {
  const headers: Record<string, string | number> = { 'content-type': testCase.contentType, 'content-length': body.length };
  if (headerLength !== undefined) headers['inference-header-content-length'] = headerLength;
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(testCase.path, base), { method: 'POST', headers, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - began }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function grpcCall(address: string, testCase: Case, body: Buffer): Promise<Answer> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${address}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': testCase.path, 'content-type': 'application/grpc', te: 'trailers' });
    let bytes = 0;
    let status = -1;
    stream.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    stream.on('trailers', (trailers) => { status = Number(trailers['grpc-status']); });
    stream.on('end', () => {
      session.close();
      resolve({ status: status === 0 ? 200 : 500 + status, bytes, ms: performance.now() - began });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

/** GET /v2/health/live back to back on one keep-alive connection until stopped: the slowest answer. */
function startProbe(base: URL): { stop: () => Promise<number> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      const began = performance.now();
      await new Promise<void>((resolve) => {
        http.get(new URL('/v2/health/live', base), { agent }, (res) => res.resume().on('end', resolve)).on('error', () => resolve());
      });
      slowest = Math.max(slowest, performance.now() - began);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return slowest;
    },
  };
}

/** The server thread's longest time on the CPU between two turns of its loop since the last call, in ms (lib/loop-cpu.ts). */
async function loopCpuMaxMs(server: ServerProcess, file: string): Promise<number> {
  writeFileSync(file, '');
  server.child.kill('SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const text = readFileSync(file, 'utf8');
    if (text.endsWith('\n')) return Number(text.split(' ')[0]);
  }
  throw new Error('the server did not report its loop CPU time');
}

/** The server's longest event-loop delay since the last scrape, in ms (each scrape resets it). */
async function loopLagMaxMs(base: URL): Promise<number> {
  // A connection of its own each time: one kept alive through a long request is closed by the server's keep-alive timeout.
  const text = await new Promise<string>((resolve, reject) => {
    http.get(new URL('/metrics', base), { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => resolve(body));
    }).on('error', reject);
  });
  const line = text.split('\n').find((l) => l.startsWith('ferry_process_nodejs_eventloop_lag_max_seconds '));
  return Number(line?.split(' ')[1]) * 1000;
}

export async function main(): Promise<void> {
  const only = process.env['STALL_CASES']?.split(',');
  const repository = mkdtempSync(path.join(tmpdir(), 'ferry-stall-'));
  cpSync(path.join(REPO_ROOT, 'examples/models', MODEL), path.join(repository, MODEL), { recursive: true });
  // The model computes on a worker thread, so that what the event loop does is the protocols' work alone.
  writeFileSync(path.join(repository, MODEL, 'model.yaml'), 'options:\n  execution: worker\n');
  const cpuFile = path.join(repository, 'loop-cpu');
  const server = await startProcess(
    ['--import', path.join(REPO_ROOT, 'bench/lib/loop-cpu.ts'), 'bin/ferry.js', 'serve', repository, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--data-dir', path.join(repository, '.ferry')],
    /"msg":"ferry serving"/,
    (line) => line,
    { STALL_CPU_FILE: cpuFile },
  );
  try {
    const serving = JSON.parse(server.url) as { http: string; grpc: string };
    const base = new URL(`http://${serving.http}`);
    const grpcAddress = serving.grpc;
    console.log(`body ${(BODY_BYTES / MiB).toFixed(1)} MiB per request; ceiling ${CEILING_MS} ms; monitor figures include its 10 ms sampling interval`);
    console.log('case                    status  request MiB  answer MiB  request ms  loop max ms  probe max ms  ratio  vs baseline  cpu step ms');
    let worst = 0;
    let worstCpu = 0;
    let baseline: number | undefined;
    for (const testCase of CASES) {
      if (only && !only.includes(testCase.name)) continue;
      try {
        const made = testCase.body();
        const { body, headerLength } = Buffer.isBuffer(made) ? { body: made, headerLength: undefined } : made;
        await loopLagMaxMs(base); // reset
        await loopCpuMaxMs(server, cpuFile);
        const probe = startProbe(base);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const answer = testCase.grpc ? await grpcCall(grpcAddress, testCase, body) : await post(base, testCase, body, headerLength);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const probeMax = await probe.stop();
        const loopMax = await loopLagMaxMs(base);
        const cpuMax = await loopCpuMaxMs(server, cpuFile);
        if (baseline === undefined) baseline = loopMax;
        else {
          worst = Math.max(worst, loopMax);
          worstCpu = Math.max(worstCpu, cpuMax);
        }
        console.log([
          testCase.name.padEnd(22), String(answer.status).padStart(7), (body.length / MiB).toFixed(1).padStart(12), (answer.bytes / MiB).toFixed(1).padStart(11),
          answer.ms.toFixed(0).padStart(11), loopMax.toFixed(0).padStart(12), probeMax.toFixed(0).padStart(13), (loopMax / CEILING_MS).toFixed(2).padStart(6),
          (loopMax / baseline).toFixed(2).padStart(12), cpuMax.toFixed(0).padStart(12),
        ].join(' '));
      } catch (error) {
        console.log(`${testCase.name.padEnd(22)} failed: ${(error as Error).message}`);
      }
    }
    console.log(`worst stall ${worst.toFixed(0)} ms = ${(worst / CEILING_MS).toFixed(2)} x the ${CEILING_MS} ms ceiling; longest step on the CPU ${worstCpu.toFixed(0)} ms`);
  } finally {
    await server.stop();
    rmSync(repository, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
