/**
 * Throughput under a latency objective: the example MLP (256-512-512-10) under 128 concurrent
 * connections, batching on (`adaptive`, the default) against batching off (`batching: off`, a second model name in
 * the same server), with the binary tensor extension and with JSON. The same run measures in-process
 * onnxruntime-node on the same model at batch 1..256 and prints Ferry's rows/s as a fraction of its best.
 *
 * Loads: 1 row per request (binary and JSON), where batching decides throughput, and 32 rows per request
 * (binary), where HTTP costs are spread over enough rows to compare with the in-process runtime. Each pair runs
 * in interleaved slices (on, off, off, on) so that other work on a shared machine weighs on both alike. The server
 * runs one onnxruntime thread (test/fixtures/repos/batching/ferry.yaml: the load generator needs the other core);
 * the in-process baseline is measured with one thread too, and with onnxruntime's default for reference.
 * A third model, `mlp_worker`, is the same batching-on model with onnxruntime on a worker thread
 * (`options: {execution: worker}`); its 1-row and 32-row loads run as one more interleaved pair.
 * BENCH_SECONDS sets the measuring time per load (default 6; the whole bench stays under ~90 s).
 *
 * The load generator is the default of bench/lib/load.ts (BENCH_LOAD; wrk when it is on PATH): autocannon shares
 * this process and on a 2-core machine tops out before a batching server does. A ceiling is measured in the same
 * run: a bare node:http server (bench/lib/bare-node-http.ts) answering a fixed body as long as Ferry's 1-row binary
 * answer, in slices just before and just after the 1-row binary pair. The server cannot answer 1-row requests
 * faster than 1 / (1/bare HTTP req/s + 1/in-process best rows/s at 1 thread): HTTP alone plus the model's best
 * per-row cost.
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { materializeRepository } from '../test/fixtures/repos/materialize.ts';
import { combineLoads, formatLoad, loadGenerator, runLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, REPO_ROOT, startFerryProcess, startProcess } from './lib/processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);
const GENERATOR = loadGenerator();
/** Each load runs as two slices; wrk takes whole seconds (at least 1), so its slices are rounded. */
const SLICE_SECONDS = GENERATOR === 'wrk' ? Math.max(1, Math.round(SECONDS / 2)) : SECONDS / 2;
const CONNECTIONS = 128;
const FEATURES = 256;
const MODEL_FILE = path.join(REPO_ROOT, 'examples/models/mlp/1/model.onnx');
const BATCH_SIZES = [1, 8, 32, 64, 128, 256];
const MULTI_ROWS = 32;
/** runtime.intra_op_threads in test/fixtures/repos/batching/ferry.yaml. */
const SERVER_THREADS = 1;

/** `rows` rows of inputs in [-1, 1), each row different. */
function inputRows(rows: number): Float32Array {
  return Float32Array.from({ length: rows * FEATURES }, (_, i) => Math.sin(i * 0.37));
}

/** The V2 binary tensor extension: a JSON header (its length in a request header), then the raw FP32 rows. */
export function binaryBody(data: Float32Array, rows: number): { body: Buffer; headers: Record<string, string> } {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, FEATURES], parameters: { binary_data_size: data.byteLength } }],
    parameters: { binary_data_output: true },
  }));
  return {
    body: Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}

const jsonBody = (data: Float32Array, rows: number): string =>
  JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, FEATURES], data: Array.from(data) }] });

/** session.run rows/s at each batch size, each timed for `ms` after a warm-up run; threads 0 = onnxruntime's default. */
async function measureOnnxRuntime(ms: number, threads: number): Promise<{ batch: number; rowsPerSecond: number }[]> {
  const session = await ort.InferenceSession.create(MODEL_FILE, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
  });
  const results: { batch: number; rowsPerSecond: number }[] = [];
  try {
    for (const batch of BATCH_SIZES) {
      const feeds = { input: new ort.Tensor('float32', inputRows(batch), [batch, FEATURES]) };
      await session.run(feeds);
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < ms) {
        await session.run(feeds);
        runs++;
      }
      results.push({ batch, rowsPerSecond: (runs * batch) / ((performance.now() - started) / 1000) });
    }
  } finally {
    await session.release();
  }
  return results;
}

async function onnxLogits(data: Float32Array, rows: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(MODEL_FILE);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', data, [rows, FEATURES]) });
    return out['logits']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The shape of an answer on the wire: body length, content type, and the binary extension's JSON header length. */
interface AnswerShape {
  readonly bytes: number;
  readonly contentType: string;
  readonly jsonLength: number;
}

/** One binary request to `url`; its logits must equal onnxruntime's own within float32 rounding. */
async function checkBinaryAnswer(url: string, data: Float32Array, rows: number): Promise<AnswerShape> {
  const expected = await onnxLogits(data, rows);
  const { body, headers } = binaryBody(data, rows);
  const response = await fetch(url, { method: 'POST', body, headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const jsonLength = Number(response.headers.get('inference-header-content-length'));
  if (response.status !== 200 || !Number.isInteger(jsonLength) || jsonLength <= 0) throw new Error(`${url}: expected a binary 200 answer, got ${response.status} ${bytes.toString('utf8', 0, 200)}`);
  const raw = bytes.subarray(jsonLength);
  const logits = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const off = expected.findIndex((v, i) => Math.abs(v - logits[i]!) > 1e-5 * Math.max(1, Math.abs(v)));
  if (logits.length !== expected.length || off >= 0) throw new Error(`${url}: logits differ from onnxruntime's at index ${off}`);
  return { bytes: bytes.length, contentType: response.headers.get('content-type') ?? 'application/octet-stream', jsonLength };
}

/** Requests merged per execution of `model` so far: [sum, count] of the ferry_batch_requests histogram. */
async function batchHistogram(baseUrl: string, model: string): Promise<[number, number]> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const read = (suffix: string): number => Number(new RegExp(`^ferry_batch_requests_${suffix}\\{[^}]*model="${model}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return [read('sum'), read('count')];
}

interface Load {
  readonly label: string;
  readonly model: string;
  readonly rows: number;
  readonly run: (seconds: number) => Promise<LoadResult>;
}

export type Measured = LoadResult & { readonly rowsPerSecond: number; readonly cpuUsPerRequest: number; readonly serverBusy: number; readonly meanBatch: number };

/** Runs a pair of loads as slices a, b, b, a of SLICE_SECONDS each; p50/p99 are the worse slice's. */
async function pair(baseUrl: string, pid: number, a: Load, b: Load): Promise<[Measured, Measured]> {
  const slices = new Map<Load, { result: LoadResult; cpu: number; wall: number; batch: [number, number] }[]>([[a, []], [b, []]]);
  for (const load of [a, b, b, a]) {
    const cpuBefore = cpuSeconds(pid);
    const batchBefore = await batchHistogram(baseUrl, load.model);
    const began = performance.now();
    const result = await load.run(SLICE_SECONDS);
    const wall = (performance.now() - began) / 1000;
    const batchAfter = await batchHistogram(baseUrl, load.model);
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`${load.label}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
    slices.get(load)!.push({ result, cpu: cpuSeconds(pid) - cpuBefore, wall, batch: [batchAfter[0] - batchBefore[0], batchAfter[1] - batchBefore[1]] });
  }
  const combine = (load: Load): Measured => {
    const runs = slices.get(load)!;
    const total = runs.reduce((n, r) => n + r.result.total, 0);
    const wall = runs.reduce((n, r) => n + r.wall, 0);
    const cpu = runs.reduce((n, r) => n + r.cpu, 0);
    return {
      requestsPerSecond: total / wall, rowsPerSecond: (total * load.rows) / wall, total,
      p50Ms: Math.max(...runs.map((r) => r.result.p50Ms)), p99Ms: Math.max(...runs.map((r) => r.result.p99Ms)),
      errors: 0, non2xx: 0,
      cpuUsPerRequest: (cpu * 1e6) / total, serverBusy: cpu / wall,
      meanBatch: runs.reduce((n, r) => n + r.batch[0], 0) / runs.reduce((n, r) => n + r.batch[1], 0),
    };
  };
  return [combine(a), combine(b)];
}

const describe = (label: string, r: Measured): string =>
  `${formatLoad(label, r)}   ${r.rowsPerSecond.toFixed(0).padStart(7)} rows/s   ${r.meanBatch.toFixed(1)} req/exec   server ${r.cpuUsPerRequest.toFixed(0)} µs CPU/req (${(r.serverBusy * 100).toFixed(0)}% of a core)`;

export interface BatchingFigures {
  readonly onnxBest: { readonly batch: number; readonly rowsPerSecond: number };
  readonly onnxBestDefaultThreads: { readonly batch: number; readonly rowsPerSecond: number };
  readonly binary1: readonly [Measured, Measured];
  readonly json1: readonly [Measured, Measured];
  readonly binaryMulti: readonly [Measured, Measured];
  /** Batching on with `execution: worker`: 1 row, then MULTI_ROWS rows per request. */
  readonly worker: readonly [Measured, Measured];
  /** The bare node:http server answering as many bytes as Ferry's 1-row binary answer, same generator and connections. */
  readonly bareHttp: LoadResult;
  /** 1 / (1/bare HTTP req/s + 1/in-process best rows/s at 1 thread): the most 1-row requests/s batching could reach. */
  readonly ceilingRequestsPerSecond: number;
}

export async function main(): Promise<BatchingFigures> {
  const loadBefore = loadavg();
  // The server runs one onnxruntime thread (the fixture's ferry.yaml); the baseline is measured with the same
  // setting, and with onnxruntime's default (a thread per core, nothing else running) for reference.
  const onnx = await measureOnnxRuntime(600, SERVER_THREADS);
  const onnxDefault = await measureOnnxRuntime(600, 0);
  const bestOf = (runs: { batch: number; rowsPerSecond: number }[]) => runs.reduce((x, y) => (y.rowsPerSecond > x.rowsPerSecond ? y : x));
  const best = bestOf(onnx);
  const bestDefault = bestOf(onnxDefault);

  const repo = await materializeRepository('batching', { mlp: 'mlp', mlp_unbatched: 'mlp', mlp_worker: 'mlp' });
  const ferry = await startFerryProcess(['--config', path.join(repo.root, 'ferry.yaml')], repo.root);
  let bare: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    const pid = ferry.child.pid!;
    const url = (model: string) => `${ferry.url}/v2/models/${model}/infer`;
    const one = inputRows(1);
    const many = inputRows(MULTI_ROWS);
    let answer1: AnswerShape | undefined;
    for (const model of ['mlp', 'mlp_unbatched', 'mlp_worker']) {
      answer1 ??= await checkBinaryAnswer(url(model), one, 1);
      await checkBinaryAnswer(url(model), many, MULTI_ROWS);
    }
    // The ceiling's HTTP half: a bare node:http server answering as many bytes, of the same type, as Ferry did.
    bare = await startProcess(
      ['bench/lib/bare-node-http.ts', '--bytes', String(answer1!.bytes), '--content-type', answer1!.contentType, '--inference-header-length', String(answer1!.jsonLength)],
      /bare node http ready/,
      (line) => `http://127.0.0.1:${JSON.parse(line).port}`,
    );
    const bareLoad = (() => {
      const { body, headers } = binaryBody(one, 1);
      const bareUrl = `${bare.url}/v2/models/mlp/infer`;
      return (seconds: number) => runLoad({ url: bareUrl, body, headers, connections: CONNECTIONS, seconds });
    })();
    const binaryLoad = (model: string, data: Float32Array, rows: number, label: string): Load => {
      const { body, headers } = binaryBody(data, rows);
      return { label, model, rows, run: (seconds) => runLoad({ url: url(model), body, headers, connections: CONNECTIONS, seconds }) };
    };
    const jsonLoad = (model: string, label: string): Load => {
      const body = jsonBody(one, 1);
      return { label, model, rows: 1, run: (seconds) => runLoad({ url: url(model), body, connections: CONNECTIONS, seconds }) };
    };
    const loads = {
      binaryOn: binaryLoad('mlp', one, 1, 'binary, 1 row, batching on'),
      binaryOff: binaryLoad('mlp_unbatched', one, 1, 'binary, 1 row, batching off'),
      jsonOn: jsonLoad('mlp', 'JSON, 1 row, batching on'),
      jsonOff: jsonLoad('mlp_unbatched', 'JSON, 1 row, batching off'),
      multiOn: binaryLoad('mlp', many, MULTI_ROWS, `binary, ${MULTI_ROWS} rows, batching on`),
      multiOff: binaryLoad('mlp_unbatched', many, MULTI_ROWS, `binary, ${MULTI_ROWS} rows, batching off`),
      workerOne: binaryLoad('mlp_worker', one, 1, 'binary, 1 row, on, worker thread'),
      workerMulti: binaryLoad('mlp_worker', many, MULTI_ROWS, `binary, ${MULTI_ROWS} rows, on, worker thread`),
    };
    // Warm every path (JIT, connections, onnxruntime's thread pool) before measuring.
    for (const load of Object.values(loads)) await load.run(1);
    await bareLoad(1);

    // The bare HTTP server in one slice right before the 1-row binary pair and one right after it.
    const bareSlices: { result: LoadResult; cpu: number; wall: number }[] = [];
    const bareSlice = async () => {
      const cpuBefore = cpuSeconds(bare!.child.pid!);
      const began = performance.now();
      const result = await bareLoad(SLICE_SECONDS);
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`bare node:http: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
      bareSlices.push({ result, cpu: cpuSeconds(bare!.child.pid!) - cpuBefore, wall: (performance.now() - began) / 1000 });
    };
    await bareSlice();
    const binary1 = await pair(ferry.url, pid, loads.binaryOn, loads.binaryOff);
    await bareSlice();
    const json1 = await pair(ferry.url, pid, loads.jsonOn, loads.jsonOff);
    const binaryMulti = await pair(ferry.url, pid, loads.multiOn, loads.multiOff);
    const worker = await pair(ferry.url, pid, loads.workerOne, loads.workerMulti);

    const bareResult = combineLoads(bareSlices.map((slice) => slice.result));
    const bareTotal = bareResult.total;
    const bareWall = bareSlices.reduce((n, r) => n + r.wall, 0);
    const bareCpu = bareSlices.reduce((n, r) => n + r.cpu, 0);
    // Bare HTTP's cost per request plus the model's best cost per row (1 thread, as the server runs it).
    const ceiling = 1 / (1 / bareResult.requestsPerSecond + 1 / best.rowsPerSecond);

    const ratio = ([on, off]: readonly [Measured, Measured]) => (on.requestsPerSecond / off.requestsPerSecond).toFixed(2);
    const share = (m: Measured) => (m.rowsPerSecond / best.rowsPerSecond).toFixed(2);
    console.log(`## Batching on (adaptive) vs off: MLP 256-512-512-10, ${CONNECTIONS} connections, ${2 * SLICE_SECONDS} s per load (slices on, off, off, on), load generator ${GENERATOR}`);
    console.log(`load average before the bench: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
    console.log(`in-process onnxruntime-node session.run, same model, rows/s at ${SERVER_THREADS} thread (as the server) / default threads:`);
    onnx.forEach((r, i) => console.log(`  batch ${String(r.batch).padStart(3)}: ${r.rowsPerSecond.toFixed(0).padStart(8)} / ${onnxDefault[i]!.rowsPerSecond.toFixed(0).padStart(8)}`));
    for (const [label, m] of [
      [loads.binaryOn.label, binary1[0]], [loads.binaryOff.label, binary1[1]],
      [loads.jsonOn.label, json1[0]], [loads.jsonOff.label, json1[1]],
      [loads.multiOn.label, binaryMulti[0]], [loads.multiOff.label, binaryMulti[1]],
      [loads.workerOne.label, worker[0]], [loads.workerMulti.label, worker[1]],
    ] as const) console.log(describe(label, m));
    console.log(`${formatLoad(`bare node:http, fixed ${answer1!.bytes}-byte answer`, bareResult)}   server ${((bareCpu * 1e6) / bareTotal).toFixed(0)} µs CPU/req (${((bareCpu / bareWall) * 100).toFixed(0)}% of a core)`);
    console.log(`throughput ratio on / off, 1 row:  binary ${ratio(binary1)}x (target >= 4), JSON ${ratio(json1)}x;  ${MULTI_ROWS} rows binary ${ratio(binaryMulti)}x`);
    console.log(`p99 on / off, 1 row: binary ${binary1[0].p99Ms} / ${binary1[1].p99Ms} ms, JSON ${json1[0].p99Ms} / ${json1[1].p99Ms} ms`);
    console.log(`ceiling for batching on, binary 1 row: 1 / (1/${bareResult.requestsPerSecond.toFixed(0)} bare HTTP req/s + 1/${best.rowsPerSecond.toFixed(0)} onnxruntime rows/s) = ${ceiling.toFixed(0)} req/s;`
      + ` ceiling / batching off ${(ceiling / binary1[1].requestsPerSecond).toFixed(2)}x; Ferry batching on = ${(binary1[0].requestsPerSecond / ceiling).toFixed(2)} of the ceiling`);
    console.log(`rows/s as a share of in-process onnxruntime at its best with ${SERVER_THREADS} thread (batch ${best.batch}, ${best.rowsPerSecond.toFixed(0)} rows/s), batching on:`
      + ` binary ${MULTI_ROWS} rows/request ${share(binaryMulti[0])} (target >= 0.7), binary 1 row ${share(binary1[0])}, JSON 1 row ${share(json1[0])}`);
    console.log(`  with execution: worker (onnxruntime off the event loop): binary ${MULTI_ROWS} rows/request ${share(worker[1])}, binary 1 row ${share(worker[0])}`
      + ` (1 row on / off ${(worker[0].requestsPerSecond / binary1[1].requestsPerSecond).toFixed(2)}x)`);
    console.log(`  against onnxruntime's default threads (batch ${bestDefault.batch}, ${bestDefault.rowsPerSecond.toFixed(0)} rows/s, the whole machine): binary ${MULTI_ROWS} rows/request `
      + `${(binaryMulti[0].rowsPerSecond / bestDefault.rowsPerSecond).toFixed(2)}, binary 1 row ${(binary1[0].rowsPerSecond / bestDefault.rowsPerSecond).toFixed(2)}`);
    console.log(`load average after the bench: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    return { onnxBest: best, onnxBestDefaultThreads: bestDefault, binary1, json1, binaryMulti, worker, bareHttp: bareResult, ceilingRequestsPerSecond: ceiling };
  } finally {
    await bare?.stop();
    await ferry.stop();
    await repo.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
