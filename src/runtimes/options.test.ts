import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRuntimes } from './builtin.ts';
import { supervisionFor } from './code/supervision.ts';
import { silentContext } from './runtime.case.ts';
import type { ModelDir, Runtime } from './runtime.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SUPERVISION = 'load_timeout_seconds | request_timeout_seconds | ping_interval_seconds | ping_timeout_seconds | max_restarts | restart_backoff_ms';

const runtimes = builtinRuntimes({
  code: {
    allowCode: true,
    python: '/usr/bin/python3',
    supervision: { loadTimeoutMs: 60_000, requestTimeoutMs: 30_000, pingIntervalMs: 0, pingTimeoutMs: 5000, maxRestarts: 3, restartBackoffMs: 50 },
  },
});
const runtime = (name: string): Runtime => runtimes.find((r) => r.name === name)!;

async function dirOf(relative: string): Promise<ModelDir> {
  const full = path.join(REPO, relative);
  return { path: full, files: await readdir(full) };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-options-'));
  await writeFile(path.join(scratch, 'MLmodel'), 'flavors:\n  python_function:\n    loader_module: custom_loader\n');
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Each runtime: a folder it loads, a key it reads (with a value that loads), a misspelling of it, and all it reads. */
const CASES = [
  { runtime: 'onnx', dir: 'examples/models/simple/1', good: { execution: 'worker' }, typo: 'executoin', meant: 'execution', reads: 'model_file | execution | max_batch_size' },
  { runtime: 'xgboost', dir: 'examples/models/iris_xgboost/1', good: { num_iteration: 2 }, typo: 'num_iterations', meant: 'num_iteration', reads: 'file | inputs | max_batch_size | num_iteration | iteration_range' },
  { runtime: 'lightgbm', dir: 'examples/models/fraud_lightgbm/1', good: { inputs: 'matrix' }, typo: 'input', meant: 'inputs', reads: 'file | inputs | max_batch_size | num_iteration | iteration_range' },
  { runtime: 'sklearn', dir: 'examples/models/churn_sklearn/1', good: { max_batch_size: 16 }, typo: 'max_batch', meant: 'max_batch_size', reads: 'file | inputs | max_batch_size' },
  { runtime: 'pmml', dir: 'examples/models/penguins_pmml/1', good: { file: 'model.pmml' }, typo: 'fiel', meant: 'file', reads: 'file | inputs' },
  { runtime: 'js', dir: 'test/fixtures/js/square/1', good: { max_restarts: 2 }, typo: 'max_restart', meant: 'max_restarts', reads: `max_batch_size | ${SUPERVISION}` },
  { runtime: 'python', dir: 'test/fixtures/python/affine/1', good: { request_timeout_seconds: 5 }, typo: 'request_timeout', meant: 'request_timeout_seconds', reads: `python | env_manager | max_batch_size | ${SUPERVISION}` },
] as const;

describe('runtime options: a key the runtime does not read is refused, naming the closest and all it reads', () => {
  it.each(CASES)('$runtime refuses options.$typo', async ({ runtime: name, dir, typo, meant, reads }) => {
    const spec = { name: 'm', version: '1', dir: await dirOf(dir), options: { [typo]: 1 } };
    const error = await runtime(name).load(spec, silentContext).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect((error as Error).message).toBe(`failed to load model 'm': options.${typo} is not an option of the ${name} runtime (did you mean ${meant}?); it reads ${reads}`);
  });

  it.each(CASES)('$runtime loads with the keys it reads ($good)', async ({ runtime: name, dir, good }) => {
    const instance = await runtime(name).load({ name: 'm', version: '1', dir: await dirOf(dir), options: good }, silentContext);
    try {
      expect(instance.signature.inputs.length).toBeGreaterThan(0);
    } finally {
      await instance.unload();
    }
  }, 60_000);

  it('a key far from every option is refused without a guess', async () => {
    const error = await runtime('onnx').load({ name: 'm', version: '1', dir: await dirOf('examples/models/simple/1'), options: { gpu: true } }, silentContext).catch((e: unknown) => e);
    expect((error as Error).message).toBe("failed to load model 'm': options.gpu is not an option of the onnx runtime; it reads model_file | execution | max_batch_size");
  });

  it('an MLflow model served by Python refuses what the MLflow runtime does not read; one served natively, what its runtime does not', async () => {
    const pyfunc = await runtime('mlflow').load({ name: 'm', version: '1', dir: { path: scratch, files: ['MLmodel'] }, options: { allow_pickles: true } }, silentContext).catch((e: unknown) => e);
    expect((pyfunc as Error).message).toBe(`failed to load model 'm': options.allow_pickles is not an option of the mlflow runtime (did you mean allow_pickle?); it reads allow_pickle | python | env_manager | max_batch_size | ${SUPERVISION}`);
    const onnx = await runtime('mlflow').load({ name: 'm', version: '1', dir: await dirOf('test/fixtures/registry/mlflow-scale-2'), options: { execution: 'worker', max_restarts: 1 } }, silentContext).catch((e: unknown) => e);
    expect((onnx as Error).message).toMatch(/^failed to load model 'm': options\.max_restarts is not an option of the onnx runtime; it reads model_file \| execution \| max_batch_size$/);
  });

  it('refuses a batch size that is not a count where the runtime used to ignore it', async () => {
    for (const [name, dir] of [['onnx', 'examples/models/simple/1'], ['js', 'test/fixtures/js/square/1']] as const) {
      const error = await runtime(name).load({ name: 'm', version: '1', dir: await dirOf(dir), options: { max_batch_size: '64' } }, silentContext).catch((e: unknown) => e);
      expect((error as Error).message).toBe(`failed to load model 'm': options.max_batch_size must be a non-negative integer (got "64")`);
    }
  });

  it.each([
    { runtime: 'onnx', dir: 'examples/models/simple/1', key: 'execution', value: 'thread', allowed: 'in-process | worker' },
    { runtime: 'xgboost', dir: 'examples/models/iris_xgboost/1', key: 'inputs', value: 'rows', allowed: 'named | matrix' },
    { runtime: 'pmml', dir: 'examples/models/penguins_pmml/1', key: 'inputs', value: 'columns', allowed: 'named | matrix' },
    { runtime: 'python', dir: 'test/fixtures/python/affine/1', key: 'env_manager', value: 'conda', allowed: 'local | virtualenv' },
  ])('$runtime names the allowed values of options.$key', async ({ runtime: name, dir, key, value, allowed }) => {
    const error = await runtime(name).load({ name: 'm', version: '1', dir: await dirOf(dir), options: { [key]: value } }, silentContext).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`failed to load model 'm': options.${key}: expected ${allowed} (got "${value}")`);
  });

  it('restart_backoff_ms overrides the server-wide backoff for one model of code', () => {
    const base = { loadTimeoutMs: 1, requestTimeoutMs: 1, pingIntervalMs: 1, pingTimeoutMs: 1, maxRestarts: 5, restartBackoffMs: 200 };
    expect(supervisionFor('m', base, { restart_backoff_ms: 10 }).restartBackoffMs).toBe(10);
    expect(supervisionFor('m', base, { restart_backoff_ms: 0 }).restartBackoffMs).toBe(0);
    expect(supervisionFor('m', base, {}).restartBackoffMs).toBe(200);
    expect(() => supervisionFor('m', base, { restart_backoff_ms: -1 })).toThrow('options.restart_backoff_ms must be a non-negative integer (milliseconds) (got -1)');
  });
});
