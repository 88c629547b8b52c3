import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { lightgbmRuntime } from '../lightgbm/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import type { ModelDir } from '../runtime.ts';
import { xgboostRuntime } from '../xgboost/index.ts';
import { LoadSandbox } from './load-sandbox.ts';
import { sandboxed } from './sandboxed-runtime.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');
const XGBOOST = path.join(FIXTURES, 'xgboost/binary_logistic');
const EXAMPLES = path.resolve(FIXTURES, '../../examples/models');
const good: ModelDir = { path: XGBOOST, files: ['case.json', 'model.json'] };

function folderWith(file: string, content: string): ModelDir {
  const folder = mkdtempSync(path.join(tmpdir(), 'ferry-sandbox-'));
  writeFileSync(path.join(folder, file), content);
  return { path: folder, files: [file] };
}

/** binary_logistic with its trees repeated `times` times: a legitimate model whose parse needs tens of MiB. */
function largeModel(times: number): ModelDir {
  const document = JSON.parse(readFileSync(path.join(XGBOOST, 'model.json'), 'utf8'));
  const model = document.learner.gradient_booster.model;
  model.trees = Array.from({ length: times }, () => model.trees).flat();
  model.tree_info = model.trees.map(() => 0);
  model.gbtree_model_param.num_trees = String(model.trees.length);
  delete model.iteration_indptr;
  return folderWith('model.json', JSON.stringify(document));
}

const sandboxes: LoadSandbox[] = [];
const sandbox = (memoryMb = 256, timeoutMs = 60_000) => {
  const created = new LoadSandbox({ memoryMb, timeoutMs });
  sandboxes.push(created);
  return created;
};
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
});

describe('load sandbox', () => {
  it('loads a model there first, then here', async () => {
    const instance = await sandboxed(xgboostRuntime(), sandbox()).load({ name: 'm', version: '1', dir: good, options: {} }, silentContext);
    expect(instance.signature.platform).toBe('xgboost_json');
    await instance.unload();
  });

  it('gives back the load\'s own catalogue error, as a load here would throw it', async () => {
    const text = readFileSync(path.join(EXAMPLES, 'fraud_lightgbm/1/model.txt'), 'utf8').replace('left_child=-1 2 -2 -4 -5', 'left_child=-1 0 -2 -4 -5');
    const dir = folderWith('model.txt', text);
    const here = await lightgbmRuntime().load({ name: 'm', version: '1', dir, options: {} }, silentContext).catch((e: unknown) => e);
    const there = await sandbox().check('lightgbm', { name: 'm', version: '1', dir, options: {} }).catch((e: unknown) => e);
    expect(isFerryError(there) && there.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(there)).toBe(String(here));
  });

  it('fails a load that needs more heap than its limit, naming the setting, and checks the next one on a fresh thread', async () => {
    const small = sandbox(64);
    const error = await small.check('xgboost', { name: 'large', version: '1', dir: largeModel(2000), options: {} }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/failed to load model 'large': loading it needs more than 64 MiB of memory \(setting: repository\.load_memory_mb\)/);
    await expect(small.check('xgboost', { name: 'm', version: '1', dir: good, options: {} })).resolves.toBeUndefined();
  }, 60_000);

  it('fails a load that takes longer than its limit, naming the setting', async () => {
    const hasty = sandbox(256, 1);
    const error = await hasty.check('xgboost', { name: 'm', version: '1', dir: good, options: {} }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/failed to load model 'm': loading it took longer than 0\.001 s \(setting: repository\.load_timeout_seconds\)/);
  });

  it('checks a version loaded as several instances once', async () => {
    const counted = sandbox();
    let checks = 0;
    const check = counted.check.bind(counted);
    counted.check = (runtime, spec) => {
      checks++;
      return check(runtime, spec);
    };
    const runtime = sandboxed(xgboostRuntime(), counted);
    const spec = { name: 'm', version: '1', dir: { ...good }, options: {} };
    const instances = await Promise.all([runtime.load(spec, silentContext), runtime.load(spec, silentContext), runtime.load(spec, silentContext)]);
    expect(instances).toHaveLength(3);
    expect(checks).toBe(1);
  });

  it('refuses checks once closed', async () => {
    const closed = sandbox();
    await closed.close();
    const error = await closed.check('xgboost', { name: 'm', version: '1', dir: good, options: {} }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_SHUTTING_DOWN');
  });
});

const sample = JSON.parse(readFileSync(path.join(XGBOOST, 'case.json'), 'utf8')) as {
  feature_names: string[]; rows: (number | null)[][]; expected: { probabilities: number[]; label: number[] };
};
const conformanceSandbox = sandbox();
runRuntimeConformance({
  runtime: () => sandboxed(xgboostRuntime(), conformanceSandbox),
  loadable: good,
  foreign: { path: path.join(FIXTURES, 'onnx'), files: readdirSync(path.join(FIXTURES, 'onnx')) },
  sample: {
    inputs: sample.feature_names.map((name, f) => ({
      name, datatype: 'FP32' as const, shape: [4], data: Float32Array.from(sample.rows.slice(0, 4), (r) => r[f] ?? NaN),
    })),
  },
  // python-xgboost's answers for the same four rows, through the sandbox unchanged.
  reference: { probabilities: sample.expected.probabilities.slice(0, 8), label: sample.expected.label.slice(0, 4).map(BigInt) },
});
