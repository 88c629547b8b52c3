import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import type { InferRequest, Tensor } from '../../tensor/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import type { ModelInstance } from '../runtime.ts';
import { xgboostRuntime } from './runtime.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/xgboost');
const ONNX = path.resolve(FIXTURES, '../onnx');

interface FixtureCase {
  readonly objective: string;
  readonly feature_names: string[] | null;
  readonly rows: (number | null)[][];
  readonly expected: Record<string, number[]>;
  readonly best_iteration?: number;
}

const caseNames = readdirSync(FIXTURES).filter((d) => existsSync(path.join(FIXTURES, d, 'case.json'))).sort();
const readCase = (name: string): FixtureCase => JSON.parse(readFileSync(path.join(FIXTURES, name, 'case.json'), 'utf8')) as FixtureCase;
const dirOf = (name: string) => ({ path: path.join(FIXTURES, name), files: ['model.json', 'case.json'] });

async function load(name: string, options: Record<string, unknown> = {}): Promise<ModelInstance> {
  return xgboostRuntime().load({ name, version: '1', dir: dirOf(name), options }, silentContext);
}

/** Requests in FP32, the datatype the runtime declares (the data plane converts others to it). */
function matrixRequest(rows: (number | null)[][]): InferRequest {
  const width = rows[0]!.length;
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, width], data: Float32Array.from(rows.flat(), (v) => v ?? NaN) }] };
}

function namedRequest(names: readonly string[], rows: (number | null)[][]): InferRequest {
  return {
    inputs: names.map((name, f) => ({ name, datatype: 'FP32' as const, shape: [rows.length], data: Float32Array.from(rows, (r) => r[f] ?? NaN) })),
  };
}

async function run(instance: ModelInstance, request: InferRequest): Promise<Map<string, Tensor>> {
  const [result] = await instance.execute([request], new AbortController().signal);
  return new Map(result!.outputs.map((t) => [t.name, t]));
}

/** Within 1e-6 relative of XGBoost's own float32 answer (the values are float32 on both sides). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Math.abs(a - e) > 1e-6 * Math.abs(e) + 1e-30) expect.fail(`${what}[${i}]: ${a} vs xgboost ${e}`);
  }
}

describe('xgboost fixtures: predictions equal python-xgboost', () => {
  for (const name of caseNames) {
    it(name, async () => {
      const fixture = readCase(name);
      const instance = await load(name);
      const layoutNamed = fixture.feature_names !== null;
      const outputs = await run(instance, layoutNamed ? namedRequest(fixture.feature_names!, fixture.rows) : matrixRequest(fixture.rows));
      const { expected } = fixture;
      if (expected['probabilities']) expectClose(outputs.get('probabilities')!.data as Float64Array, expected['probabilities'], 'probabilities');
      if (expected['predict'] && outputs.has('predict')) expectClose(outputs.get('predict')!.data as Float64Array, expected['predict'], 'predict');
      if (expected['predict'] && !outputs.has('predict')) {
        // a classifier whose Booster.predict gave probability(1) (binary) or the label (multi:softmax)
        const probabilities = outputs.get('probabilities')!.data as Float64Array;
        if (fixture.objective === 'multi:softmax') expect(Array.from(outputs.get('label')!.data as BigInt64Array, Number)).toEqual(expected['predict']);
        else expectClose(probabilities.filter((_, i) => i % 2 === 1), expected['predict'], 'probability(1)');
      }
      if (expected['label']) expect(Array.from(outputs.get('label')!.data as BigInt64Array, Number)).toEqual(expected['label']);
      if (expected['margin']) {
        // multi:softmax: our probabilities are the softmax of XGBoost's own margins
        const margins = expected['margin'];
        const probabilities = outputs.get('probabilities')!.data as Float64Array;
        for (let r = 0; r < margins.length / 3; r++) {
          const m = margins.slice(r * 3, r * 3 + 3);
          const max = Math.max(...m);
          const e = m.map((v) => Math.exp(v - max));
          const sum = e.reduce((a, b) => a + b, 0);
          expectClose(probabilities.slice(r * 3, r * 3 + 3), e.map((v) => v / sum), `softmax row ${r}`);
        }
      }
      await instance.unload();
    });
  }

  it('uses trees up to best_iteration + 1 after early stopping, and all of them when asked', async () => {
    const fixture = readCase('reg_early_stopping') as FixtureCase & { rounds_in_file: number };
    expect(fixture.best_iteration! + 1).toBeLessThan(fixture.rounds_in_file);
    const all = await load('reg_early_stopping', { iteration_range: [0, fixture.rounds_in_file] });
    const outputs = await run(all, namedRequest(fixture.feature_names!, fixture.rows));
    expectClose(outputs.get('predict')!.data as Float64Array, fixture.expected['predict_all_trees']!, 'all trees');
  });

  it('limits a forest to its first iterations (num_parallel_tree groups)', async () => {
    const fixture = readCase('multi_softprob_forest');
    const instance = await load('multi_softprob_forest', { num_iteration: 2 });
    const outputs = await run(instance, namedRequest(fixture.feature_names!, fixture.rows));
    expectClose(outputs.get('probabilities')!.data as Float64Array, fixture.expected['probabilities_at_2']!, 'probabilities@2');
  });

  it('offers one [-1, F] matrix input with option inputs: matrix', async () => {
    const fixture = readCase('binary_logistic');
    const instance = await load('binary_logistic', { inputs: 'matrix' });
    expect(instance.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 5] }]);
    const outputs = await run(instance, matrixRequest(fixture.rows));
    expectClose(outputs.get('probabilities')!.data as Float64Array, fixture.expected['probabilities']!, 'probabilities');
  });

  it('describes classifier and regressor outputs', async () => {
    expect((await load('multi_softprob')).signature.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP64', shape: [-1, 3] },
      { name: 'label', datatype: 'INT64', shape: [-1] },
    ]);
    expect((await load('multi_target_regression')).signature.outputs).toEqual([{ name: 'predict', datatype: 'FP64', shape: [-1, 2] }]);
    expect((await load('reg_gamma')).signature.outputs).toEqual([{ name: 'predict', datatype: 'FP64', shape: [-1] }]);
  });
});

describe('xgboost: bad models and options are catalogue errors', () => {
  it('rejects a corrupt model file with FERRY_ERR_MODEL_LOAD_FAILED', async () => {
    const error = await xgboostRuntime().load({ name: 'bad', version: '1', dir: dirOf('binary_logistic'), options: { file: 'case.json' } }, silentContext).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
  });

  it('rejects an iteration range past the end of the model', async () => {
    const error = await load('binary_logistic', { num_iteration: 1000 }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/exceeds/);
  });

  /** binary_logistic's model.json with `edit` applied, loaded from a scratch folder. */
  async function loadEdited(edit: (learner: Record<string, any>) => void): Promise<unknown> {
    const document = JSON.parse(readFileSync(path.join(FIXTURES, 'binary_logistic', 'model.json'), 'utf8'));
    edit(document.learner);
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-xgb-bad-'));
    writeFileSync(path.join(folder, 'model.json'), JSON.stringify(document));
    return xgboostRuntime().load({ name: 'bad', version: '1', dir: { path: folder, files: ['model.json'] }, options: {} }, silentContext).catch((e: unknown) => e);
  }

  it('refuses a num_feature of 300,000,000 before allocating anything by it', async () => {
    const error = await loadEdited((learner) => {
      learner.learner_model_param.num_feature = '300000000';
      delete learner.feature_names;
      delete learner.feature_types;
    });
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/XGBoost JSON: num_feature 300000000 exceeds the limit of 1048576 features/);
  });

  it('accepts num_feature at the limit exactly and refuses one more', async () => {
    const unnamed = (count: number) => (learner: Record<string, any>) => {
      learner.learner_model_param.num_feature = String(count);
      delete learner.feature_names;
      delete learner.feature_types;
    };
    const atLimit = await loadEdited(unnamed(1 << 20)) as ModelInstance;
    expect(atLimit.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 1 << 20] }]);
    expect(String(await loadEdited(unnamed((1 << 20) + 1)))).toMatch(/num_feature 1048577 exceeds the limit/);
  });

  it('refuses output groups that the trees in the file do not back', async () => {
    const error = await loadEdited((learner) => { learner.learner_model_param.num_class = '1000000000'; learner.objective.name = 'multi:softprob'; });
    expect(String(error)).toMatch(/num_class 1000000000 is more output groups than the \d+ trees in the file/);
  });

  it('refuses a tree whose children form a cycle', async () => {
    const error = await loadEdited((learner) => {
      const tree = learner.gradient_booster.model.trees[0];
      tree.right_children[tree.left_children.findIndex((c: number) => c !== -1 && c !== 0)] = 0;
    });
    expect(String(error)).toMatch(/XGBoost JSON: trees\[0\] node 0 is reached again from node \d+ \(the tree has a cycle/);
  });

  it('rejects unknown option values', async () => {
    const error = await load('binary_logistic', { inputs: 'columns' }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
  });
});

const sample = readCase('binary_logistic');
runRuntimeConformance({
  instancePerTest: true,
  runtime: xgboostRuntime,
  loadable: dirOf('binary_logistic'),
  foreign: { path: ONNX, files: readdirSync(ONNX) },
  sample: namedRequest(sample.feature_names!, sample.rows.slice(2, 6)),
  // python-xgboost's answers for the same rows: two probabilities per row, then the label.
  reference: {
    probabilities: sample.expected['probabilities']!.slice(4, 12),
    label: sample.expected['label']!.slice(2, 6).map(BigInt),
  },
});
