/**
 * Models as code: a scikit-learn model served by Ferry's Python runtime against the same model behind the Python
 * REST wrappers users start with — a plain Flask app (Debian python3-flask, threaded Werkzeug server) and FastAPI on
 * uvicorn — batch-1 requests at 64 connections, all in one run on the same cores. Also: the Python runtime's own
 * cost per request (frames, pipe, worker loop) in microseconds, and how fast a JS model answers while another JS
 * model busy-loops on its worker thread.
 *
 *   npx node bench/models-as-code.ts      (BENCH_SECONDS per load slice, default 5; BENCH_ROUNDS slices per target, default 3)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentContext } from '../src/runtimes/runtime.case.ts';
import { createJsRuntime } from '../src/runtimes/js/index.ts';
import { createPythonRuntime, type CodeRuntimeSettings } from '../src/runtimes/python/index.ts';
import { combineLoads, runLoad, formatLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, REPO_ROOT, startFerryProcess } from './lib/processes.ts';

const PYTHON = '/usr/bin/python3';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = 64;
const ROW = [5.1, 3.5, 1.4, 0.2];

const TRAIN = String.raw`
import json, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
import ferry_sklearn
X, y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=500).fit(X, y)
json.dump({"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(), "classes": clf.classes_.tolist()}, open(sys.argv[1], "w"))
ferry_sklearn.export(clf, path=sys.argv[2])  # the same model for Ferry's in-process evaluator: the ceiling
`;

/** The model, rebuilt from its fitted parameters; the wrappers below and model.py share it. */
const REBUILD = String.raw`
import json, os
import numpy as np
from sklearn.linear_model import LogisticRegression
def rebuild(file):
    p = json.load(open(file))
    clf = LogisticRegression()
    clf.coef_, clf.intercept_, clf.classes_ = np.array(p["coef"]), np.array(p["intercept"]), np.array(p["classes"])
    return clf
`;

const MODEL_PY = `${REBUILD}
class Model:
    def load(self, path):
        self.clf = rebuild(os.path.join(path, "params.json"))
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 4]}],
                "outputs": [{"name": "proba", "datatype": "FP64", "shape": [-1, 3]}, {"name": "label", "datatype": "INT64", "shape": [-1]}]}
    def predict(self, inputs):
        x = inputs["x"]
        return {"proba": self.clf.predict_proba(x), "label": self.clf.predict(x)}
`;

const FLASK = `${REBUILD}
import sys
from flask import Flask, request, jsonify
from werkzeug.serving import make_server
import logging
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
clf = rebuild(sys.argv[1])
app = Flask("wrapper")
@app.post("/predict")
def predict():
    x = np.array(request.get_json()["x"])
    return jsonify({"proba": clf.predict_proba(x).tolist(), "label": clf.predict(x).tolist()})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
`;

const FASTAPI = `${REBUILD}
import socket, sys
import uvicorn
from fastapi import FastAPI, Request
clf = rebuild(sys.argv[1])
app = FastAPI()
@app.post("/predict")
async def predict(request: Request):
    x = np.array((await request.json())["x"])
    return {"proba": clf.predict_proba(x).tolist(), "label": clf.predict(x).tolist()}
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(2048)  # connections wait in the backlog until uvicorn takes over the socket
print(f"listening {sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
`;

/** In-process time of one batch-1 predict (both outputs), in µs: the floor any server of this model pays. */
const IN_PROCESS = `${REBUILD}
import sys, time
clf = rebuild(sys.argv[1])
x = np.array([${ROW.join(', ')}]).reshape(1, 4)
for _ in range(200): clf.predict_proba(x); clf.predict(x)
best = 1e9
for _ in range(5):
    n, start = 2000, time.perf_counter()
    for _ in range(n): clf.predict_proba(x); clf.predict(x)
    best = min(best, (time.perf_counter() - start) / n)
print(best * 1e6)
`;

async function startPython(script: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('python wrapper did not start within 60 s')), 60_000);
    child.on('exit', (code) => reject(new Error(`python wrapper exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return { url: `http://127.0.0.1:${port}/predict`, child };
}

function run(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'python') };
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited with ${code}`))));
  });
}

const SETTINGS: CodeRuntimeSettings = {
  allowCode: true, python: PYTHON,
  supervision: { loadTimeoutMs: 120_000, requestTimeoutMs: 60_000, pingIntervalMs: 0, pingTimeoutMs: 10_000, maxRestarts: 3, restartBackoffMs: 100 },
};

/** A process and its descendants (Ferry's Python workers), from /proc (Linux). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

interface Target {
  readonly label: string;
  readonly url: string;
  readonly body: string;
  /** The server's process: its CPU time, and its children's, is the server's cost. */
  readonly pid: number;
}

type Measured = LoadResult & { cpuUsPerRequest: number };

/**
 * Each target in ROUNDS alternating slices (after a warm-up slice each), so that the load of a shared machine falls
 * on every target alike, with the CPU time the server (every process of it) spent per request: a figure the
 * machine's other load moves much less than a rate.
 */
async function interleaved(targets: readonly Target[]): Promise<Record<string, Measured>> {
  const load = (target: Target, seconds: number) => runLoad({ url: target.url, body: target.body, connections: CONNECTIONS, seconds });
  for (const target of targets) await load(target, Math.max(1, Math.round(SECONDS / 2)));
  const cpu = (pid: number) => processTree(pid).reduce((sum, p) => sum + cpuSeconds(p), 0);
  const runs = targets.map(() => ({ loads: [] as LoadResult[], cpu: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) {
      const before = cpu(targets[i]!.pid);
      runs[i]!.loads.push(await load(targets[i]!, SECONDS));
      runs[i]!.cpu += cpu(targets[i]!.pid) - before;
    }
  }
  return Object.fromEntries(targets.map((target, i) => {
    const combined = combineLoads(runs[i]!.loads);
    return [target.label, { ...combined, cpuUsPerRequest: (runs[i]!.cpu * 1e6) / combined.total }];
  }));
}

/** Requests and batches the scheduler ran for a model so far, from Ferry's metrics. */
async function batchSizes(url: string, model: string): Promise<{ requests: number; batches: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (metric: string) => Number(new RegExp(`^${metric}\\{model="${model}",version="1"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { requests: read('ferry_batch_requests_sum'), batches: read('ferry_batch_requests_count') };
}

/** A model.py that computes nothing: its round trip is the runtime's own cost (frames, pipes, the worker loop). */
const IDENTITY_PY = `
class Model:
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 4]}], "outputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 4]}]}
    def predict(self, inputs):
        return inputs
`;

/** Mean round trip of execute() on the Python runtime, batch 1, one at a time, in µs (best of 5 trials). */
async function runtimeRoundTrip(dir: string, files: string[]): Promise<number> {
  const instance = await createPythonRuntime(SETTINGS).load({ name: 'iris', version: '1', dir: { path: dir, files }, options: {} }, silentContext);
  const request = { inputs: [{ name: 'x', datatype: 'FP64' as const, shape: [1, 4], data: Float64Array.from(ROW) }] };
  const signal = new AbortController().signal;
  for (let i = 0; i < 300; i++) await instance.execute([request], signal);
  let best = Infinity;
  for (let trial = 0; trial < 5; trial++) {
    const n = 1000;
    const start = performance.now();
    for (let i = 0; i < n; i++) await instance.execute([request], signal);
    best = Math.min(best, ((performance.now() - start) * 1000) / n);
  }
  await instance.unload();
  return best;
}

/** Latencies of a light JS model while a second JS model busy-loops for a second on its own thread. */
async function jsDuringBusyLoop(dir: string): Promise<{ maxMs: number; p50Ms: number }> {
  mkdirSync(path.join(dir, 'busy'), { recursive: true });
  mkdirSync(path.join(dir, 'light'), { recursive: true });
  writeFileSync(path.join(dir, 'busy/model.mjs'), `export default { signature: { inputs: [{ name: 'ms', datatype: 'INT32', shape: [1] }], outputs: [{ name: 'ms', datatype: 'INT32', shape: [1] }] },
  predict({ ms }) { const until = Date.now() + ms.data[0]; while (Date.now() < until); return { ms: { data: ms.data } }; } };`);
  writeFileSync(path.join(dir, 'light/model.mjs'), `export default { signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] },
  predict({ x }) { return { y: { data: x.data.map((v) => v + 1) } }; } };`);
  const runtime = createJsRuntime(SETTINGS);
  const busy = await runtime.load({ name: 'busy', version: '1', dir: { path: path.join(dir, 'busy'), files: ['model.mjs'] }, options: {} }, silentContext);
  const light = await runtime.load({ name: 'light', version: '1', dir: { path: path.join(dir, 'light'), files: ['model.mjs'] }, options: {} }, silentContext);
  const signal = new AbortController().signal;
  const spinning = busy.execute([{ inputs: [{ name: 'ms', datatype: 'INT32', shape: [1], data: Int32Array.from([1000]) }] }], signal);
  const latencies: number[] = [];
  const until = performance.now() + 900;
  while (performance.now() < until) {
    const start = performance.now();
    await light.execute([{ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.from([1]) }] }], signal);
    latencies.push(performance.now() - start);
  }
  await spinning;
  await Promise.all([busy.unload(), light.unload()]);
  latencies.sort((a, b) => a - b);
  return { maxMs: latencies.at(-1)!, p50Ms: latencies[Math.floor(latencies.length / 2)]! };
}

export async function main(): Promise<Record<string, LoadResult>> {
  const work = mkdtempSync(path.join(tmpdir(), 'ferry-code-bench-'));
  const repo = path.join(work, 'models');
  const version = path.join(repo, 'iris', '1');
  mkdirSync(version, { recursive: true });
  const params = path.join(version, 'params.json');
  const stops: (() => void)[] = [];
  try {
    const native = path.join(repo, 'iris_native');
    mkdirSync(path.join(native, '1'), { recursive: true });
    await run(TRAIN, [params, path.join(native, '1', 'model.json')]);
    writeFileSync(path.join(native, 'model.yaml'), 'options: {inputs: matrix}\n');
    writeFileSync(path.join(version, 'model.py'), MODEL_PY);
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 4], data: ROW }] });
    const nativeBody = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 4], data: ROW }] });
    const wrapperBody = JSON.stringify({ x: [ROW] });
    const ferry = await startFerryProcess(['--allow-code'], repo, { FERRY_PYTHON: PYTHON }, 120_000);
    stops.push(() => void ferry.stop());
    const flask = await startPython(FLASK, [params]);
    stops.push(() => flask.child.kill('SIGKILL'));
    const fastapi = await startPython(FASTAPI, [params]);
    stops.push(() => fastapi.child.kill('SIGKILL'));
    const targets: Target[] = [
      { label: 'ferry', url: `${ferry.url}/v2/models/iris/infer`, body, pid: ferry.child.pid! },
      // The ceiling on these cores with this load generator: the same model evaluated in Ferry's own process.
      { label: 'ceiling', url: `${ferry.url}/v2/models/iris_native/infer`, body: nativeBody, pid: ferry.child.pid! },
      { label: 'flask', url: flask.url, body: wrapperBody, pid: flask.child.pid! },
      { label: 'fastapi', url: fastapi.url, body: wrapperBody, pid: fastapi.child.pid! },
    ];
    const warmed = await batchSizes(ferry.url, 'iris');
    const results = await interleaved(targets);
    const served = await batchSizes(ferry.url, 'iris');
    const batches = { requests: served.requests - warmed.requests, batches: served.batches - warmed.batches };
    console.log(`${ROUNDS} rounds of ${SECONDS} s per target, interleaved, after a warm-up:`);
    for (const [label, r] of Object.entries(results)) console.log(`${formatLoad(`${label.padEnd(8)} (${CONNECTIONS} connections, batch 1)`, r)}   server CPU ${r.cpuUsPerRequest.toFixed(0)} µs/request`);
    const ratio = (a: string, b: string) => (results[a]!.requestsPerSecond / results[b]!.requestsPerSecond).toFixed(2);
    const cpuRatio = (a: string, b: string) => (results[b]!.cpuUsPerRequest / results[a]!.cpuUsPerRequest).toFixed(2);
    console.log(`Ferry Python runtime / Flask: ${ratio('ferry', 'flask')}x (target >= 3x); / FastAPI+uvicorn: ${ratio('ferry', 'fastapi')}x; / the ceiling (in-process evaluation of the same model): ${ratio('ferry', 'ceiling')}x`);
    console.log(`Server CPU per request, Flask / Ferry: ${cpuRatio('ferry', 'flask')}x; FastAPI / Ferry: ${cpuRatio('ferry', 'fastapi')}x; Ferry / ceiling: ${(results['ferry']!.cpuUsPerRequest / results['ceiling']!.cpuUsPerRequest).toFixed(2)}x`);
    console.log(`Python runtime batches: ${batches.batches} predict calls for ${batches.requests} requests, ${(batches.requests / batches.batches).toFixed(1)} requests merged per call on average`);

    const identity = path.join(work, 'identity');
    mkdirSync(identity);
    writeFileSync(path.join(identity, 'model.py'), IDENTITY_PY);
    const overheadUs = await runtimeRoundTrip(identity, ['model.py']);
    const roundTripUs = await runtimeRoundTrip(version, ['model.py', 'params.json']);
    const inProcessUs = Number((await run(IN_PROCESS, [params])).trim());
    console.log(`Python runtime per call (batch 1, one at a time): the runtime's own cost (an identity model.py) ${overheadUs.toFixed(0)} µs; the scikit-learn model ${roundTripUs.toFixed(0)} µs, whose predict takes ${inProcessUs.toFixed(0)} µs in Python alone`);

    const js = await jsDuringBusyLoop(path.join(work, 'js'));
    console.log(`JS model latency while another JS model busy-loops 1 s on its thread: p50 ${js.p50Ms.toFixed(2)} ms, max ${js.maxMs.toFixed(2)} ms (target < 50 ms)`);
    return results;
  } finally {
    for (const stop of stops) stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
