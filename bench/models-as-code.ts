/**
 * Models as code: a scikit-learn model served by Ferry's Python runtime against the same model behind the Python
 * REST wrappers users start with — a plain Flask app (Debian python3-flask, threaded Werkzeug server) and FastAPI on
 * uvicorn — batch-1 requests at 64 connections, all in one run on the same cores. Also: the Python runtime's own
 * cost per request (frames, pipe, worker loop) in microseconds, and how fast a JS model answers while another JS
 * model busy-loops on its worker thread.
 *
 *   npx node bench/models-as-code.ts      (BENCH_SECONDS per load run, default 5)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentContext } from '../src/runtimes/runtime.case.ts';
import { createJsRuntime } from '../src/runtimes/js/index.ts';
import { createPythonRuntime, type CodeRuntimeSettings } from '../src/runtimes/python/index.ts';
import { runLoad, formatLoad, type LoadResult } from './lib/load.ts';
import { startFerryProcess } from './lib/processes.ts';

const PYTHON = '/usr/bin/python3';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = 64;
const ROW = [5.1, 3.5, 1.4, 0.2];

const TRAIN = String.raw`
import json, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=500).fit(X, y)
json.dump({"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(), "classes": clf.classes_.tolist()}, open(sys.argv[1], "w"))
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
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited with ${code}`))));
  });
}

const SETTINGS: CodeRuntimeSettings = {
  allowCode: true, python: PYTHON,
  supervision: { loadTimeoutMs: 120_000, requestTimeoutMs: 60_000, pingIntervalMs: 0, pingTimeoutMs: 10_000, maxRestarts: 3, restartBackoffMs: 100 },
};

/** Mean round trip of execute() on the Python runtime, batch 1, one at a time, in µs. */
async function runtimeRoundTrip(dir: string): Promise<number> {
  const instance = await createPythonRuntime(SETTINGS).load({ name: 'iris', version: '1', dir: { path: dir, files: ['model.py', 'params.json'] }, options: {} }, silentContext);
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
    await run(TRAIN, [params]);
    writeFileSync(path.join(version, 'model.py'), MODEL_PY);
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 4], data: ROW }] });
    const wrapperBody = JSON.stringify({ x: [ROW] });
    const results: Record<string, LoadResult> = {};

    const ferry = await startFerryProcess(['--allow-code'], repo, { FERRY_PYTHON: PYTHON }, 120_000);
    stops.push(() => void ferry.stop());
    results['ferry'] = await runLoad({ url: `${ferry.url}/v2/models/iris/infer`, body, connections: CONNECTIONS, seconds: SECONDS });
    await ferry.stop();
    for (const [name, script] of [['flask', FLASK], ['fastapi', FASTAPI]] as const) {
      const wrapper = await startPython(script, [params]);
      stops.push(() => wrapper.child.kill('SIGKILL'));
      results[name] = await runLoad({ url: wrapper.url, body: wrapperBody, connections: CONNECTIONS, seconds: SECONDS });
      wrapper.child.kill('SIGKILL');
    }
    for (const [label, r] of Object.entries(results)) console.log(formatLoad(`${label.padEnd(8)} (${CONNECTIONS} connections, batch 1)`, r));
    const ratio = (a: string, b: string) => (results[a]!.requestsPerSecond / results[b]!.requestsPerSecond).toFixed(2);
    console.log(`Ferry Python runtime / Flask: ${ratio('ferry', 'flask')}x (target >= 3x); / FastAPI+uvicorn: ${ratio('ferry', 'fastapi')}x`);

    const inProcessUs = Number((await run(IN_PROCESS, [params])).trim());
    const roundTripUs = await runtimeRoundTrip(version);
    console.log(`Python runtime per request (batch 1, one at a time): execute() round trip ${roundTripUs.toFixed(0)} µs, of which predict in Python ${inProcessUs.toFixed(0)} µs: overhead ${(roundTripUs - inProcessUs).toFixed(0)} µs`);

    const js = await jsDuringBusyLoop(path.join(work, 'js'));
    console.log(`JS model latency while another JS model busy-loops 1 s on its thread: p50 ${js.p50Ms.toFixed(2)} ms, max ${js.maxMs.toFixed(2)} ms (target < 50 ms)`);
    return results;
  } finally {
    for (const stop of stops) stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
