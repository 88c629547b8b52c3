/**
 * Ferry's native XGBoost evaluator vs python-xgboost's own predict, same model, same rows, same run.
 *
 *   node bench/xgboost-vs-native.ts          (Node 24: `npx node bench/xgboost-vs-native.ts` if PATH has an older node)
 *
 * A Python child (/usr/bin/python3, Debian's python3-xgboost) trains the model, writes model.json and the rows,
 * and times Booster.inplace_predict in-process (no DMatrix construction, python start-up excluded) at batch 1
 * and batch 1000 (best of 5 windows on both sides: the machine is shared), with nthread=1 (one core, like Ferry's evaluator) and with every core. Ferry times
 * ModelInstance.execute() on the same rows, request decoding into the matrix included. The bench also checks that
 * both sides agree, and measures event-loop delay (perf_hooks.monitorEventLoopDelay) while a large batch runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { silentContext } from '../src/runtimes/runtime.case.ts';
import type { ModelInstance } from '../src/runtimes/runtime.ts';
import { xgboostRuntime } from '../src/runtimes/xgboost/index.ts';
import type { InferRequest } from '../src/tensor/index.ts';

const FEATURES = 20;
const ROWS = 1000;
const TREES = 200;
const DEPTH = 6;

const PYTHON = String.raw`
import json, sys, time
import numpy as np
import xgboost as xgb
out, features, rows, trees, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.RandomState(0)
x = rng.normal(size=(3000, features)).astype(np.float32)
x[rng.rand(*x.shape) < 0.05] = np.nan
y = (np.nan_to_num(x[:, 0]) + np.sin(np.nan_to_num(x[:, 1]) * 2) - np.nan_to_num(x[:, 2]) * np.nan_to_num(x[:, 3]) > 0).astype(np.float32)
b = xgb.train({'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': depth, 'eta': 0.1, 'seed': 0, 'nthread': 2}, xgb.DMatrix(x, label=y), trees)
b.save_model(out + '/model.json')
test = rng.normal(size=(rows, features)).astype(np.float32)
test[rng.rand(*test.shape) < 0.05] = np.nan
test.tofile(out + '/rows.f32')

def rate(batch, budget, trials=5):
    # best of several timed windows: the machine is shared, the best window is the least disturbed one
    data = [test[i:i + batch] for i in range(0, rows, batch)]
    b.inplace_predict(data[0])
    best = 0.0
    for _ in range(trials):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget / trials:
            b.inplace_predict(data[n % len(data)])
            n += 1
        best = max(best, n * batch / (time.perf_counter() - start))
    return best

result = {'predictions': [float(v) for v in b.inplace_predict(test)]}
for threads in (1, 2):
    b.set_param({'nthread': threads})
    result['threads%d' % threads] = {'batch1': rate(1, 1.5), 'batch1000': rate(1000, 1.5)}
print(json.dumps(result))
`;

interface NativeResult {
  readonly predictions: number[];
  readonly threads1: { readonly batch1: number; readonly batch1000: number };
  readonly threads2: { readonly batch1: number; readonly batch1000: number };
}

export interface BenchFigures {
  readonly ferryBatch1: number;
  readonly ferryBatch1000: number;
  readonly native: NativeResult['threads1'];
  readonly nativeAllCores: NativeResult['threads2'];
  readonly maxAbsDiff: number;
  readonly eventLoop: { readonly rows: number; readonly batchMs: number; readonly p99Ms: number; readonly maxMs: number };
}

function matrixRequest(rows: Float32Array, start: number, count: number): InferRequest {
  return { inputs: [{ name: 'input', datatype: 'FP64', shape: [count, FEATURES], data: Float64Array.from(rows.subarray(start * FEATURES, (start + count) * FEATURES)) }] };
}

/** Best of `trials` timed windows, as on the Python side (the machine is shared). */
async function rowsPerSecond(instance: ModelInstance, rows: Float32Array, batch: number, budgetMs: number, trials = 5): Promise<number> {
  const requests = Array.from({ length: ROWS / batch }, (_, i) => matrixRequest(rows, i * batch, batch));
  const signal = new AbortController().signal;
  for (const request of requests.slice(0, 50)) await instance.execute([request], signal); // warm-up (JIT)
  let best = 0;
  for (let trial = 0; trial < trials; trial++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs / trials) {
      await instance.execute([requests[n % requests.length]!], signal);
      n++;
    }
    best = Math.max(best, (n * batch) / ((performance.now() - start) / 1000));
  }
  return best;
}

/** Event-loop delay while one large batch is evaluated (chunked with setImmediate between chunks). */
async function eventLoopDelay(instance: ModelInstance, rows: Float32Array): Promise<BenchFigures['eventLoop']> {
  const copies = 50;
  const big = new Float64Array(ROWS * copies * FEATURES);
  for (let c = 0; c < copies; c++) big.set(Float64Array.from(rows), c * ROWS * FEATURES);
  const request: InferRequest = { inputs: [{ name: 'input', datatype: 'FP64', shape: [ROWS * copies, FEATURES], data: big }] };
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  await instance.execute([request], new AbortController().signal);
  const batchMs = performance.now() - start;
  histogram.disable();
  return { rows: ROWS * copies, batchMs, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
}

export async function main(): Promise<BenchFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-xgb-bench-'));
  try {
    const python = spawnSync('/usr/bin/python3', ['-c', PYTHON, dir, String(FEATURES), String(ROWS), String(TREES), String(DEPTH)], { encoding: 'utf8', timeout: 40_000 });
    if (python.status !== 0) throw new Error(`python3-xgboost timing failed: ${python.stderr || python.error?.message}`);
    const native = JSON.parse(python.stdout.trim().split('\n').pop()!) as NativeResult;
    const rows = new Float32Array(readFileSync(path.join(dir, 'rows.f32')).buffer.slice(0));
    const instance = await xgboostRuntime().load({ name: 'bench', version: '1', dir: { path: dir, files: ['model.json'] }, options: { inputs: 'matrix' } }, silentContext);

    const [all] = await instance.execute([matrixRequest(rows, 0, ROWS)], new AbortController().signal);
    const ours = all!.outputs.find((t) => t.name === 'probabilities')!.data as Float64Array;
    let maxAbsDiff = 0;
    native.predictions.forEach((p, i) => { maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i * 2 + 1]! - p)); });

    const figures: BenchFigures = {
      ferryBatch1: await rowsPerSecond(instance, rows, 1, 2000),
      ferryBatch1000: await rowsPerSecond(instance, rows, 1000, 2000),
      native: native.threads1,
      nativeAllCores: native.threads2,
      maxAbsDiff,
      eventLoop: await eventLoopDelay(instance, rows),
    };
    await instance.unload();
    report(figures);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(f: BenchFigures): void {
  const k = (v: number): string => `${(v / 1000).toFixed(1)}k rows/s`;
  console.log(`xgboost-vs-native: binary:logistic, ${TREES} trees, depth ${DEPTH}, ${FEATURES} features, 5% NaN; max |ferry - xgboost| = ${f.maxAbsDiff.toExponential(2)}`);
  console.log(`  batch 1    ferry ${k(f.ferryBatch1)}  xgboost inplace_predict 1 thread ${k(f.native.batch1)} (all cores ${k(f.nativeAllCores.batch1)})  ratio ferry/xgboost ${(f.ferryBatch1 / f.native.batch1).toFixed(2)}x`);
  console.log(`  batch 1000 ferry ${k(f.ferryBatch1000)}  xgboost inplace_predict 1 thread ${k(f.native.batch1000)} (all cores ${k(f.nativeAllCores.batch1000)})  ratio ferry/xgboost ${(f.ferryBatch1000 / f.native.batch1000).toFixed(2)}x (all cores ${(f.ferryBatch1000 / f.nativeAllCores.batch1000).toFixed(2)}x)`);
  console.log(`  event loop while one ${f.eventLoop.rows}-row batch ran (${f.eventLoop.batchMs.toFixed(0)} ms): delay p99 ${f.eventLoop.p99Ms.toFixed(1)} ms, max ${f.eventLoop.maxMs.toFixed(1)} ms`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  await main();
  console.log(`  (bench took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
