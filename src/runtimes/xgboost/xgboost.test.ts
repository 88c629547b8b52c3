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

  it('binary_thresholds puts rows exactly on split thresholds, where x < threshold decides the side', () => {
    const fixture = readCase('binary_thresholds');
    const document = JSON.parse(readFileSync(path.join(FIXTURES, 'binary_thresholds', 'model.json'), 'utf8'));
    let onThreshold = 0;
    for (const tree of document.learner.gradient_booster.model.trees) {
      tree.left_children.forEach((child: number, n: number) => {
        if (child !== -1) onThreshold += fixture.rows.filter((row) => row[tree.split_indices[n]] === tree.split_conditions[n]).length;
      });
    }
    expect(onThreshold).toBeGreaterThan(50);
  });

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

  /** binary_logistic's first tree (node 0 splits, its children are 1 and 2; node 7 is a leaf). */
  const tree0 = (learner: Record<string, any>): Record<string, any> => learner.gradient_booster.model.trees[0];
  const param = (learner: Record<string, any>): Record<string, any> => learner.learner_model_param;
  const defects: [string, (learner: Record<string, any>) => void, RegExp][] = [
    ['a child past the last node', (l) => { tree0(l).left_children[0] = tree0(l).left_children.length; }, /trees\[0\] node 0 has children out of range/],
    ['a negative child other than -1', (l) => { tree0(l).right_children[0] = -2; }, /trees\[0\] node 0 has children out of range/],
    ['a child that is not a whole number', (l) => { tree0(l).right_children[0] = 1.5; }, /trees\[0\] node 0 has children out of range/],
    ['a split on feature num_feature', (l) => { tree0(l).split_indices[0] = 5; }, /trees\[0\] node 0 splits on feature 5 of 5/],
    ['a split on feature -1', (l) => { tree0(l).split_indices[0] = -1; }, /trees\[0\] node 0 splits on feature -1 of 5/],
    ['a split on feature 0.5', (l) => { tree0(l).split_indices[0] = 0.5; }, /trees\[0\] node 0 splits on feature 0.5 of 5/],
    ['fewer split conditions than nodes', (l) => { tree0(l).split_conditions.pop(); }, /trees\[0\]\.split_conditions has 14 entries for 15 nodes/],
    ['more default_left entries than nodes', (l) => { tree0(l).default_left.push(0); }, /trees\[0\]\.default_left has 16 entries for 15 nodes/],
    ['a tree without nodes', (l) => { tree0(l).left_children = []; }, /trees\[0\] has no nodes/],
    ['a value that is not a number', (l) => { tree0(l).split_conditions[3] = 'x'; }, /trees\[0\]\.split_conditions\[3\] is not a number/],
    ['a tree that is not an object', (l) => { l.gradient_booster.model.trees[1] = [1]; }, /trees\[1\] is missing or not an object/],
    ['trees that are not a list', (l) => { l.gradient_booster.model.trees = {}; }, /trees is missing or not a list/],
    ['a base_score that is not a number', (l) => { param(l).base_score = 'abc'; }, /base_score 'abc' is not a number or list of numbers/],
    ['an empty base_score', (l) => { param(l).base_score = '[]'; }, /base_score '\[\]' is not a number/],
    ['more base_score values than output groups', (l) => { param(l).base_score = '[5E-1,5E-1]'; }, /base_score has 2 values for 1 output groups/],
    ['a base_score with no margin under the logit', (l) => { param(l).base_score = '1'; }, /base_score 1 has no finite margin under binary:logistic/],
    ['a num_feature that is not a count', (l) => { param(l).num_feature = '-1'; }, /num_feature '-1' is not a count/],
    ['num_class and num_target both above 1', (l) => { param(l).num_class = '2'; param(l).num_target = '2'; }, /num_class and num_target cannot both exceed 1/],
    ['a multi-class objective with one class', (l) => { l.objective.name = 'multi:softprob'; param(l).num_class = '1'; }, /objective multi:softprob needs num_class >= 2/],
    ['tree_info shorter than the trees', (l) => { l.gradient_booster.model.tree_info.pop(); }, /tree_info has 14 entries for 15 trees/],
    ['tree_info naming a group past the last', (l) => { l.gradient_booster.model.tree_info[2] = 1; }, /tree_info names output group 1 of 1/],
    ['tree_info naming group -1', (l) => { l.gradient_booster.model.tree_info[2] = -1; }, /tree_info names output group -1 of 1/],
    ['iterations that do not divide the trees', (l) => { l.gradient_booster.model.gbtree_model_param.num_parallel_tree = '2'; }, /15 trees do not split into iterations of 2/],
    ['iteration_indptr not starting at 0', (l) => { l.gradient_booster.model.iteration_indptr = [1, 15]; }, /iteration_indptr must run from 0 to 15/],
    ['iteration_indptr not ending at the tree count', (l) => { l.gradient_booster.model.iteration_indptr = [0, 14]; }, /iteration_indptr must run from 0 to 15/],
    ['an empty iteration_indptr', (l) => { l.gradient_booster.model.iteration_indptr = []; }, /iteration_indptr must run from 0 to 15/],
    ['a decreasing iteration_indptr', (l) => { l.gradient_booster.model.iteration_indptr = [0, 10, 5, 15]; }, /iteration_indptr must not decrease/],
    ['weight_drop for fewer trees', (l) => { l.gradient_booster.model.weight_drop = [1, 1]; }, /weight_drop has 2 weights for 15 trees/],
    ['fewer feature names than features', (l) => { l.feature_names.pop(); }, /4 feature_names for num_feature 5/],
    ['more feature types than features', (l) => { l.feature_types = ['q', 'q', 'q', 'q', 'q', 'q']; }, /6 feature_types for num_feature 5/],
    ['a feature name that is not a string', (l) => { l.feature_names[2] = 7; }, /feature_names\[2\] is not a string/],
    ['a negative best_iteration', (l) => { l.attributes.best_iteration = '-1'; }, /attributes\.best_iteration '-1' is not an iteration/],
    ['a fractional best_iteration', (l) => { l.attributes.best_iteration = '1.5'; }, /attributes\.best_iteration '1\.5' is not an iteration/],
    ['a categorical split without a category set', (l) => { tree0(l).split_type[0] = 1; }, /trees\[0\] node 0 is categorical without a category set/],
    ['category segments that do not match the nodes', (l) => {
      Object.assign(tree0(l), { categories_nodes: [0], categories: [1], categories_segments: [0, 1], categories_sizes: [1] });
    }, /trees\[0\] categorical segments do not match categories_nodes/],
    ['a category set past the end of the codes', (l) => {
      Object.assign(tree0(l), { categories_nodes: [0], categories: [1], categories_segments: [0], categories_sizes: [2] });
    }, /trees\[0\] categorical node 0 is out of range/],
    ['a category set starting before the codes', (l) => {
      Object.assign(tree0(l), { categories_nodes: [0], categories: [1], categories_segments: [-1], categories_sizes: [1] });
    }, /trees\[0\] categorical node 0 is out of range/],
    ['a category set for a node that does not exist', (l) => {
      Object.assign(tree0(l), { categories_nodes: [15], categories: [1], categories_segments: [0], categories_sizes: [1] });
    }, /trees\[0\] categorical node 15 is out of range/],
    ['a negative category code', (l) => {
      Object.assign(tree0(l), { categories_nodes: [0], categories: [-1], categories_segments: [0], categories_sizes: [1] });
    }, /trees\[0\] node 0 has an invalid category code/],
    ['a category code past 2^24', (l) => {
      Object.assign(tree0(l), { categories_nodes: [0], categories: [2 ** 24 + 1], categories_segments: [0], categories_sizes: [1] });
    }, /trees\[0\] node 0 has an invalid category code/],
    ['cats.enc for fewer features', (l) => { l.gradient_booster.model.cats = { enc: [{ values: [] }] }; }, /cats\.enc has 1 entries for 5 features/],
    ['cats.enc offsets past the values', (l) => {
      l.gradient_booster.model.cats = { enc: [{ values: [97, 98], offsets: [0, 1, 3] }, {}, {}, {}, {}] };
    }, /cats\.enc\[0\]\.offsets out of range/],
    ['cats.enc offsets that go back', (l) => {
      l.gradient_booster.model.cats = { enc: [{ values: [97, 98], offsets: [0, 2, 1] }, {}, {}, {}, {}] };
    }, /cats\.enc\[0\]\.offsets out of range/],
    ['no learner_model_param', (l) => { delete l.learner_model_param; }, /learner\.learner_model_param is missing or not an object/],
  ];

  it('names each defect of a model file (FERRY_ERR_MODEL_LOAD_FAILED)', async () => {
    for (const [what, edit, message] of defects) {
      const error = await loadEdited(edit);
      expect(isFerryError(error) && error.code, what).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      expect(String(error), what).toMatch(message);
    }
  });

  it('refuses objectives, boosters and vector leaves it does not evaluate (FERRY_ERR_UNSUPPORTED_MODEL)', async () => {
    const cases: [(learner: Record<string, any>) => void, RegExp][] = [
      [(l) => { l.objective.name = 'reg:fancy'; }, /XGBoost objective 'reg:fancy' is not supported \(supported: binary:logistic, /],
      [(l) => { l.gradient_booster.name = 'gblinear'; }, /XGBoost booster 'gblinear' is not supported/],
      [(l) => { tree0(l).tree_param.size_leaf_vector = '2'; }, /vector leaves/],
    ];
    for (const [edit, message] of cases) {
      const error = await loadEdited(edit);
      expect(isFerryError(error) && error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
      expect(String(error)).toMatch(message);
    }
  });

  it('takes the values a file may leave out or spell differently', async () => {
    const fixture = readCase('binary_logistic');
    const cases: ((learner: Record<string, any>) => void)[] = [
      (l) => { param(l).base_score = '[5E-1]'; }, // 3.x writes a one-element list
      (l) => { l.gradient_booster.model.iteration_indptr = Array.from({ length: 16 }, (_, i) => i); },
      (l) => { l.gradient_booster.model.weight_drop = new Array(15).fill(1); },
      (l) => { l.feature_types = []; },
      (l) => { l.gradient_booster.model.cats = { enc: [] }; },
      (l) => { delete tree0(l).split_type; },
      (l) => { tree0(l).split_conditions = tree0(l).split_conditions.map(String); },
    ];
    for (const edit of cases) {
      const instance = await loadEdited(edit) as ModelInstance;
      const outputs = await run(instance, namedRequest(fixture.feature_names!, fixture.rows));
      expectClose(outputs.get('probabilities')!.data as Float64Array, fixture.expected['probabilities']!, 'probabilities');
    }
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
