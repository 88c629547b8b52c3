/**
 * What the load sandbox costs: loading each example model (and one large XGBoost model) in-process, as a runtime
 * alone does, against loading it through the sandbox (checked on the sandbox thread, then loaded in-process), in
 * the same run.
 *
 *   node bench/load-sandbox.ts          (Node 24: `npx node bench/load-sandbox.ts` if PATH has an older node)
 *
 * Printed per model: the median in-process load, the median sandboxed load with the sandbox thread already running
 * (what a hot reload pays) and their ratio, and the first sandboxed load of a fresh sandbox (thread start and the
 * runtime's module import on that thread included: what the first load after start-up pays, once per process).
 * The time the server's own thread is busy is the in-process load in both cases: the check runs on the other thread.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinRuntimes } from '../src/runtimes/builtin.ts';
import { silentContext } from '../src/runtimes/runtime.case.ts';
import type { ModelDir, Runtime } from '../src/runtimes/runtime.ts';
import { LoadSandbox } from '../src/runtimes/sandbox/load-sandbox.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ROUNDS = 15;

interface Subject {
  readonly label: string;
  readonly runtime: string;
  readonly dir: ModelDir;
}

function example(model: string, runtime: string, file: string): Subject {
  return { label: model, runtime, dir: { path: path.join(ROOT, 'examples/models', model, '1'), files: [file] } };
}

/** binary_logistic with its 15 trees repeated 400 times (6,000 trees, ~7 MB of JSON). */
function largeXgboost(folder: string): Subject {
  const document = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/xgboost/binary_logistic/model.json'), 'utf8'));
  const model = document.learner.gradient_booster.model;
  model.trees = Array.from({ length: 400 }, () => model.trees).flat();
  model.tree_info = model.trees.map(() => 0);
  model.gbtree_model_param.num_trees = String(model.trees.length);
  writeFileSync(path.join(folder, 'model.json'), JSON.stringify(document));
  return { label: 'xgboost, 6,000 trees', runtime: 'xgboost', dir: { path: folder, files: ['model.json'] } };
}

async function loadMs(runtime: Runtime, dir: ModelDir): Promise<number> {
  const started = performance.now();
  const instance = await runtime.load({ name: 'bench', version: '1', dir: { ...dir }, options: {} }, silentContext);
  const ms = performance.now() - started;
  await instance.unload();
  return ms;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const find = (runtimes: Runtime[], name: string) => runtimes.find((r) => r.name === name)!;

export async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'ferry-bench-load-'));
  const subjects = [
    example('iris_xgboost', 'xgboost', 'model.json'),
    example('fraud_lightgbm', 'lightgbm', 'model.txt'),
    example('churn_sklearn', 'sklearn', 'model.json'),
    example('penguins_pmml', 'pmml', 'model.pmml'),
    largeXgboost(scratch),
  ];
  const plain = builtinRuntimes();
  console.log('model                     in-process   sandboxed (warm)   ratio   first sandboxed load (cold)');
  try {
    for (const subject of subjects) {
      const direct: number[] = [];
      for (let i = 0; i < ROUNDS; i++) direct.push(await loadMs(find(plain, subject.runtime), subject.dir));
      const sandbox = new LoadSandbox({ memoryMb: 2048, timeoutMs: 120_000 });
      const checked = find(builtinRuntimes({ sandbox }), subject.runtime);
      const cold = await loadMs(checked, subject.dir);
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i++) warm.push(await loadMs(checked, subject.dir));
      await sandbox.close();
      const d = median(direct);
      const w = median(warm);
      console.log(`${subject.label.padEnd(24)} ${d.toFixed(1).padStart(8)} ms ${w.toFixed(1).padStart(12)} ms ${(w / d).toFixed(2).padStart(9)}x ${cold.toFixed(0).padStart(12)} ms`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
