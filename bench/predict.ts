/**
 * `ferry predict` on a 1-million-row CSV with a tree model (examples/models/iris_xgboost), against in-process
 * evaluation of the same model on the same rows, in one run.
 *
 *   node bench/predict.ts          (Node 24: `npx node bench/predict.ts` if PATH has an older node)
 *
 * Ferry's side is the real command in its own process (`ferry predict ... --summary json`): reading and parsing the
 * CSV, the serving scheduler, writing the predictions; its rows/s and peak RSS (getrusage maxrss) are what the
 * command prints. The baseline is ModelInstance.execute() in this process on the same rows already in memory as
 * FP64 columns, in batches of the same size: the model alone, no I/O. The ratio is what streaming a file costs
 * over the model's own speed. Peak RSS is checked against a 300 MB bound: memory must not grow with the file.
 * BENCH_PREDICT_ROWS overrides the row count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { silentContext } from '../src/runtimes/runtime.case.ts';
import { xgboostRuntime } from '../src/runtimes/xgboost/index.ts';
import type { Tensor } from '../src/tensor/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = path.join(ROOT, 'examples/models/iris_xgboost');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const BATCH = 1024;
const RSS_BOUND_MB = 300;

export async function main(): Promise<void> {
  const rows = Number(process.env['BENCH_PREDICT_ROWS'] ?? 1_000_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-predict-'));
  try {
    const reference = JSON.parse(readFileSync(path.join(MODEL, 'reference.json'), 'utf8')) as { rows: (number | null)[][] };
    const columns = FEATURES.map(() => new Float64Array(rows));
    const lines: string[] = [`id,${FEATURES.join(',')}`];
    for (let i = 0; i < rows; i++) {
      const base = reference.rows[i % reference.rows.length]!;
      const values = base.map((v, f) => (v === null ? NaN : Math.round((v + ((i * 7 + f * 3) % 10) / 20) * 1000) / 1000));
      values.forEach((v, f) => (columns[f]![i] = v));
      lines.push(`${i},${values.map((v) => (Number.isNaN(v) ? '' : String(v))).join(',')}`);
    }
    const input = path.join(dir, 'rows.csv');
    writeFileSync(input, `${lines.join('\n')}\n`);
    lines.length = 0;

    // In-process: the model alone, on the same rows, in the same batch size.
    const instance = await xgboostRuntime().load({ name: 'iris', version: '1', dir: { path: path.join(MODEL, '1'), files: ['model.json'] }, options: {} }, silentContext);
    const signal = new AbortController().signal;
    const evaluate = async () => {
      const started = performance.now();
      for (let start = 0; start < rows; start += BATCH) {
        const n = Math.min(BATCH, rows - start);
        const inputs: Tensor[] = FEATURES.map((name, f) => ({ name, datatype: 'FP64', shape: [n], data: columns[f]!.subarray(start, start + n) }));
        await instance.execute([{ inputs }], signal);
      }
      return rows / ((performance.now() - started) / 1000);
    };
    await evaluate(); // warm-up
    const inProcess = Math.max(await evaluate(), await evaluate());
    await instance.unload();

    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/node'), [
      path.join(ROOT, 'bin/ferry.js'), 'predict', '--model', MODEL, '--input', input, '--output', path.join(dir, 'preds.csv'),
      '--keep', 'id', '--batch-rows', String(BATCH), '--summary', 'json',
    ], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`ferry predict failed (${run.status}): ${run.stderr}`);
    const summary = JSON.parse(run.stdout) as { rows: number; rowsPerSecond: number; peakRssMb: number; seconds: number };
    if (summary.rows !== rows) throw new Error(`ferry predict scored ${summary.rows} rows of ${rows}`);

    const k = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;
    console.log(`rows: ${k(rows)} (${(readFileSync(input).length / 1e6).toFixed(1)} MB CSV), model iris_xgboost (8 rounds x 3 classes, depth 3), batches of ${BATCH}`);
    console.log(`in-process ModelInstance.execute : ${k(inProcess)} rows/s`);
    console.log(`ferry predict (CSV in, CSV out)  : ${k(summary.rowsPerSecond)} rows/s in ${summary.seconds.toFixed(1)} s, peak RSS ${summary.peakRssMb} MB`);
    console.log(`ratio predict / in-process        : ${(summary.rowsPerSecond / inProcess).toFixed(2)}x`);
    console.log(`peak RSS bound ${RSS_BOUND_MB} MB       : ${summary.peakRssMb <= RSS_BOUND_MB ? 'within' : 'EXCEEDED'}`);
    if (summary.peakRssMb > RSS_BOUND_MB) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
