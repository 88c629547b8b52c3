import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import type { InferRequest } from '../../tensor/index.ts';
import { runRuntimeConformance, silentContext } from '../runtime.case.ts';
import { lgbObjective } from './objective.ts';
import { lightgbmRuntime } from './runtime.ts';

/**
 * A hand-written LightGBM v4 model whose every path is known (the shared conformance pack checks real models
 * against LightGBM itself; this checks the split rules one by one):
 * Tree 0: color ∈ {red, blue} (bitset 0b101) → left leaf 0.5; else x <= 2.5 (NaN → default left) ? -0.25 : 1.0.
 * Tree 1: z with missing_type Zero, default left: z = 0 or NaN → 0.1; else z <= 0.5 ? 0.1 : -0.1.
 */
const MODEL = `tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=2
objective=binary sigmoid:1
feature_names=x color z
feature_infos=[0:10] -1:0:1:2 [0:1]
tree_sizes=1 1

Tree=0
num_leaves=3
num_cat=1
split_feature=1 0
split_gain=1 1
threshold=0 2.5000000000000004
decision_type=1 10
left_child=-1 -2
right_child=1 -3
leaf_value=0.5 -0.25 1
leaf_weight=1 1 1
leaf_count=1 1 1
internal_value=0 0
internal_weight=0 0
internal_count=3 2
cat_boundaries=0 1
cat_threshold=5
is_linear=0
shrinkage=1


Tree=1
num_leaves=2
num_cat=0
split_feature=2
split_gain=1
threshold=0.5
decision_type=6
left_child=-1
right_child=-2
leaf_value=0.10000000000000001 -0.10000000000000001
leaf_weight=1 1
leaf_count=1 1
internal_value=0
internal_weight=0
internal_count=2
is_linear=0
shrinkage=1


end of trees

feature_importances:
color=1

parameters:
[boosting: gbdt]
[categorical_feature: 1]
end of parameters

pandas_categorical:[["red", "green", "blue"]]
`;

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-'));
writeFileSync(path.join(dir, 'model.txt'), MODEL);
const loadable = { path: dir, files: ['model.txt'] };
const ONNX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/onnx');

const encoder = new TextEncoder();
function request(rows: readonly [number, string, number][]): InferRequest {
  return {
    inputs: [
      { name: 'x', datatype: 'FP64', shape: [rows.length], data: Float64Array.from(rows, (r) => r[0]) },
      { name: 'color', datatype: 'BYTES', shape: [rows.length], data: rows.map((r) => encoder.encode(r[1])) },
      { name: 'z', datatype: 'FP64', shape: [rows.length], data: Float64Array.from(rows, (r) => r[2]) },
    ],
  };
}

const sigmoid = (s: number): number => 1 / (1 + Math.exp(-s));

describe('lightgbm split rules', () => {
  it('follows categorical bitsets, missing types and default directions', async () => {
    const instance = await lightgbmRuntime().load({ name: 'm', version: '1', dir: loadable, options: {} }, silentContext);
    expect(instance.signature.inputs.map((i) => [i.name, i.datatype])).toEqual([['x', 'FP64'], ['color', 'BYTES'], ['z', 'FP64']]);
    // Categories are matched as text; numbers in other datatypes are converted for the runtime.
    expect(instance.signature).toMatchObject({ platform: 'lightgbm_text', bytesInputs: 'text', numericInputs: 'convert' });
    const cases: [number, string, number, number][] = [
      [5, 'red', 1, 0.5 - 0.1], // in the set → left; z > 0.5 → right
      [1, 'green', 0.3, -0.25 + 0.1], // not in the set; x <= 2.5
      [NaN, 'green', NaN, -0.25 + 0.1], // x NaN (missing_type NaN) → default left; z NaN read as 0 → zero → default left
      [3, 'purple', 0.7, 1 - 0.1], // unseen category → missing → right; x > 2.5
      [3, '', 0, 1 + 0.1], // empty = missing category → right; z = 0 → default left
      [3, 'blue', -1, 0.5 + 0.1], // z = -1 is not zero: -1 <= 0.5 → left
    ];
    const [result] = await instance.execute([request(cases.map(([x, c, z]) => [x, c, z]))], new AbortController().signal);
    const probabilities = result!.outputs.find((t) => t.name === 'probabilities')!;
    const labels = result!.outputs.find((t) => t.name === 'label')!;
    expect(probabilities.shape).toEqual([cases.length, 2]);
    cases.forEach(([, , , score], r) => {
      expect(probabilities.data[r * 2 + 1]).toBeCloseTo(sigmoid(score), 15);
      expect(probabilities.data[r * 2]).toBeCloseTo(1 - sigmoid(score), 15);
      expect(labels.data[r]).toBe(sigmoid(score) > 0.5 ? 1n : 0n);
    });
  });

  it('limits prediction to the first iterations with num_iteration', async () => {
    const instance = await lightgbmRuntime().load({ name: 'm', version: '1', dir: loadable, options: { num_iteration: 1 } }, silentContext);
    const [result] = await instance.execute([request([[5, 'red', 1]])], new AbortController().signal);
    expect(result!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(0.5), 15);
  });

  it('offers a matrix input taking category codes', async () => {
    const instance = await lightgbmRuntime().load({ name: 'm', version: '1', dir: loadable, options: { inputs: 'matrix' } }, silentContext);
    expect(instance.signature.inputs).toEqual([{ name: 'input', datatype: 'FP64', shape: [-1, 3] }]);
    const [result] = await instance.execute([{ inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 3], data: Float64Array.of(5, 2, 1, 5, -1, 1) }] }], new AbortController().signal);
    expect(result!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(0.5 - 0.1), 15); // code 2 = blue: in the set
    expect(result!.outputs[0]!.data[3]).toBeCloseTo(sigmoid(1 - 0.1), 15); // negative code → right
  });

  const loadText = async (text: string) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-bad-'));
    writeFileSync(path.join(folder, 'model.txt'), text);
    return lightgbmRuntime().load({ name: 'bad', version: '1', dir: { path: folder, files: ['model.txt'] }, options: {} }, silentContext);
  };

  it('refuses a tree whose child indices form a cycle, which would loop forever on the first request', async () => {
    // Tree 0: node 0 → right node 1 → left node 0 again.
    const error = await loadText(MODEL.replace('left_child=-1 -2', 'left_child=-1 0')).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/LightGBM model: Tree=0 node 0 is reached again from node 1 \(the tree has a cycle or a node with two parents\)/);
  });

  it('refuses class counts the trees do not back, a file cut before its end, and tree_sizes that disagree', async () => {
    const cases: [string, RegExp][] = [
      [MODEL.replace('num_class=1', 'num_class=100000000').replace('num_tree_per_iteration=1', 'num_tree_per_iteration=100000000'), /num_tree_per_iteration 100000000 but the file has 2 trees/],
      [MODEL.slice(0, MODEL.indexOf('Tree=1')), /the file ends before 'end of trees'/],
      [MODEL.replace('tree_sizes=1 1', 'tree_sizes=1 1 1'), /tree_sizes lists 3 trees, the file holds 2/],
      [MODEL.replace('cat_boundaries=0 1', 'cat_boundaries=1 1'), /Tree=0 cat_boundaries must rise from 0 to the length of cat_threshold/],
    ];
    for (const [text, message] of cases) {
      const error = await loadText(text).catch((e: unknown) => e);
      expect(isFerryError(error) && error.code, String(error)).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      expect(String(error)).toMatch(message);
    }
  });

  it('names each defect of a tree it refuses', async () => {
    const cases: [string, string, RegExp][] = [
      ['right_child=1 -3', 'right_child=2 -3', /Tree=0 node 0 has child 2 out of range/],
      ['right_child=1 -3', 'right_child=1 -4', /Tree=0 node 1 has child -4 out of range/],
      ['left_child=-1 -2', 'left_child=-1 1.5', /Tree=0 node 1 has child 1\.5 out of range/],
      ['leaf_value=0.5 -0.25 1', 'leaf_value=0.5 -0.25', /Tree=0 leaf_value has 2 values, expected 3/],
      ['split_feature=1 0', 'split_feature=1 3', /Tree=0 splits on feature 3 > max_feature_idx 2/],
      ['split_feature=1 0', 'split_feature=1 -1', /Tree=0 node 1 splits on feature -1/],
      ['num_leaves=3', 'num_leaves=0', /Tree=0 has no leaves/],
      ['num_leaves=3', 'num_leaves=x', /Tree=0 num_leaves is missing or not an integer/],
      ['threshold=0 2.5', 'threshold=1 2.5', /Tree=0 node 0 names category set 1 of 1/],
      ['threshold=0 2.5', 'threshold=-1 2.5', /Tree=0 node 0 names category set -1 of 1/],
      ['threshold=0 2.5', 'threshold=0.5 2.5', /Tree=0 node 0 names category set 0\.5 of 1/],
      ['cat_threshold=5', 'cat_threshold=5 7', /Tree=0 cat_boundaries must rise from 0 to the length of cat_threshold/],
      ['threshold=0 2.5000000000000004', 'threshold=0 abc', /Tree=0 threshold: 'abc' is not a number/],
      ['max_feature_idx=2', 'max_feature_idx=3', /3 feature_names for max_feature_idx 3/],
      ['num_tree_per_iteration=1', 'num_tree_per_iteration=0', /num_tree_per_iteration must be at least 1/],
      ['num_class=1', 'num_class=3', /num_class 3 but the file has 2 trees/],
      ['pandas_categorical:[["red", "green", "blue"]]', 'pandas_categorical:{"a": 1}', /pandas_categorical is not a JSON list of category lists/],
      ['pandas_categorical:[["red", "green", "blue"]]', 'pandas_categorical:[1]', /pandas_categorical is not a JSON list of category lists \(not a list of lists\)/],
      ['is_linear=0\nshrinkage=1\n\n\nend', 'is_linear=1\nleaf_const=0 0\nnum_features=1 0\nleaf_features=5\nleaf_coeff=1\nshrinkage=1\n\n\nend', /Tree=1 has a linear leaf on feature 5/],
      ['is_linear=0\nshrinkage=1\n\n\nend', 'is_linear=1\nleaf_const=0 0\nnum_features=1 0\nleaf_features=0\nleaf_coeff=\nshrinkage=1\n\n\nend', /Tree=1 linear leaves list 1 features and 0 coefficients for 1/],
      ['tree\nversion=v4', 'trees\nversion=v4', /no LightGBM text model \(\*\.txt starting 'tree' \/ 'version='\) in the version folder/],
    ];
    for (const [from, to, message] of cases) {
      expect(MODEL, from).toContain(from);
      const error = await loadText(MODEL.replace(from, to)).catch((e: unknown) => e);
      expect(isFerryError(error) && error.code, `${to}: ${String(error)}`).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      expect(String(error), to).toMatch(message);
    }
  });

  it('reads an inf threshold and Windows line endings', async () => {
    // Tree 1 splits z at +inf: every number goes left (0.1); z = 0 still takes the default (left) way.
    const text = MODEL.replace('threshold=0.5\n', 'threshold=inf\n').replaceAll('\n', '\r\n');
    const instance = await loadText(text);
    const [result] = await instance.execute([request([[5, 'red', 1], [5, 'red', 1e300]])], new AbortController().signal);
    expect(result!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(0.5 + 0.1), 15);
    expect(result!.outputs[0]!.data[3]).toBeCloseTo(sigmoid(0.5 + 0.1), 15);
  });

  it('sends a value equal to the threshold left (x <= threshold)', async () => {
    const instance = await lightgbmRuntime().load({ name: 'm', version: '1', dir: loadable, options: {} }, silentContext);
    // x = 2.5000000000000004 exactly: left (-0.25); the next double up: right (1). z = 0.5 exactly: left (0.1).
    const [result] = await instance.execute([request([[2.5000000000000004, 'green', 0.5], [2.5000000000000009, 'green', 0.5000000000000001]])], new AbortController().signal);
    expect(result!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(-0.25 + 0.1), 15);
    expect(result!.outputs[0]!.data[3]).toBeCloseTo(sigmoid(1 - 0.1), 15);
  });

  it('turns raw scores into outputs as each objective does', async () => {
    // Row [5, red, 1] scores 0.5 - 0.1 = 0.4; row [1, green, 0.3] scores -0.25 + 0.1 = -0.15.
    const rows = request([[5, 'red', 1], [1, 'green', 0.3]]);
    const cases: [string, string, number[]][] = [
      ['regression', 'predict', [0.4, -0.15]],
      ['regression sqrt', 'predict', [0.16, -0.0225]],
      ['quantile', 'predict', [0.4, -0.15]],
      ['poisson', 'predict', [Math.exp(0.4), Math.exp(-0.15)]],
      ['tweedie', 'predict', [Math.exp(0.4), Math.exp(-0.15)]],
      ['cross_entropy_lambda', 'predict', [Math.log1p(Math.exp(0.4)), Math.log1p(Math.exp(-0.15))]],
      ['binary sigmoid:2', 'probabilities', [1 - sigmoid(0.8), sigmoid(0.8), 1 - sigmoid(-0.3), sigmoid(-0.3)]],
      ['cross_entropy', 'probabilities', [1 - sigmoid(0.4), sigmoid(0.4), 1 - sigmoid(-0.15), sigmoid(-0.15)]],
    ];
    for (const [objective, output, expected] of cases) {
      const instance = await loadText(MODEL.replace('objective=binary sigmoid:1', `objective=${objective}`));
      const [result] = await instance.execute([rows], new AbortController().signal);
      const tensor = result!.outputs.find((t) => t.name === output)!;
      expect(tensor, objective).toBeDefined();
      expected.forEach((value, i) => expect(tensor.data[i], `${objective} [${i}]`).toBeCloseTo(value, 14));
    }
    // No objective line (a custom objective): the raw score.
    const custom = await loadText(MODEL.replace('objective=binary sigmoid:1\n', ''));
    const [raw] = await custom.execute([rows], new AbortController().signal);
    expect(Array.from(raw!.outputs[0]!.data as Float64Array)).toEqual([0.5 - 0.1, -0.25 + 0.1]);
    const error = await loadText(MODEL.replace('objective=binary sigmoid:1', 'objective=lambdamart_fancy')).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(String(error)).toMatch(/LightGBM objective 'lambdamart_fancy' is not supported/);
  });

  it('knows every objective name and alias LightGBM writes, and the link each one predicts with', () => {
    const kinds: Record<string, string[]> = {
      identity: [
        'regression', 'regression_l2', 'l2', 'mean_squared_error', 'mse', 'l2_root', 'root_mean_squared_error', 'rmse',
        'regression_l1', 'l1', 'mean_absolute_error', 'mae', 'huber', 'fair', 'quantile', 'mape', 'mean_absolute_percentage_error',
        'lambdarank', 'rank_xendcg', 'xendcg', 'xe_ndcg', 'xe_ndcg_mart', 'xendcg_mart', 'custom', 'none', 'null', 'na',
      ],
      sigmoid: ['binary', 'cross_entropy', 'xentropy'],
      log1p_exp: ['cross_entropy_lambda', 'xentlambda'],
      softmax: ['multiclass', 'softmax'],
      ova: ['multiclassova', 'multiclass_ova', 'ova', 'ovr'],
      exp: ['poisson', 'gamma', 'tweedie'],
    };
    for (const [kind, names] of Object.entries(kinds)) {
      for (const name of names) {
        const objective = lgbObjective('m', `${name} extra:1`);
        expect([objective.name, objective.link.kind], name).toEqual([name, kind]);
        expect(objective.classification, name).toBe(['sigmoid', 'softmax', 'ova'].includes(kind) && name !== 'cross_entropy_lambda');
      }
    }
    expect(lgbObjective('m', undefined)).toEqual({ name: 'custom', link: { kind: 'identity' }, classification: false });
    expect(lgbObjective('m', '  regression   sqrt ').link).toEqual({ kind: 'sqrt' });
    expect(lgbObjective('m', 'binary sigmoid:2.5').link).toEqual({ kind: 'sigmoid', scale: 2.5 });
    expect(lgbObjective('m', 'binary').link).toEqual({ kind: 'sigmoid', scale: 1 });
    expect(lgbObjective('m', 'xentropy sigmoid:3').link).toEqual({ kind: 'sigmoid', scale: 1 }); // cross entropy has no scale
    expect(lgbObjective('m', 'ova num_class:3 sigmoid:0.5').link).toEqual({ kind: 'ova', scale: 0.5 });
  });

  it('gives each class its trees: softmax for multiclass, a sigmoid per class for one-vs-all, the mean for a random forest', async () => {
    // Two classes, one tree each per iteration: tree 0 scores class 0, tree 1 class 1.
    const twoClasses = (objective: string) => MODEL.replace('num_class=1', 'num_class=2').replace('num_tree_per_iteration=1', 'num_tree_per_iteration=2')
      .replace('objective=binary sigmoid:1', `objective=${objective}`);
    const rows = request([[5, 'red', 1]]); // tree 0: 0.5, tree 1: -0.1
    const softmax = await loadText(twoClasses('multiclass num_class:2'));
    const [soft] = await softmax.execute([rows], new AbortController().signal);
    const e = [Math.exp(0.5), Math.exp(-0.1)];
    expect(soft!.outputs[0]!.data[0]).toBeCloseTo(e[0]! / (e[0]! + e[1]!), 15);
    expect(soft!.outputs[0]!.data[1]).toBeCloseTo(e[1]! / (e[0]! + e[1]!), 15);
    const ova = await loadText(twoClasses('multiclassova num_class:2 sigmoid:1.5'));
    const [each] = await ova.execute([rows], new AbortController().signal);
    expect(each!.outputs[0]!.data[0]).toBeCloseTo(sigmoid(1.5 * 0.5), 15);
    expect(each!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(1.5 * -0.1), 15);
    // average_output: a random forest's two iterations are averaged, (0.5 - 0.1) / 2.
    const forest = await loadText(MODEL.replace('objective=binary sigmoid:1', 'objective=regression\naverage_output'));
    const [mean] = await forest.execute([rows], new AbortController().signal);
    expect(mean!.outputs[0]!.data[0]).toBeCloseTo(0.2, 15);
  });

  it('rejects truncated and malformed files with FERRY_ERR_MODEL_LOAD_FAILED', async () => {
    for (const text of [MODEL.replace('left_child=-1 -2', 'left_child=-1 7'), MODEL.replace('leaf_value=0.5 -0.25 1', 'leaf_value=0.5 x 1'), 'tree\nversion=v4\n']) {
      const bad = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-bad-'));
      writeFileSync(path.join(bad, 'model.txt'), text);
      const error = await lightgbmRuntime().load({ name: 'bad', version: '1', dir: { path: bad, files: ['model.txt'] }, options: {} }, silentContext).catch((e: unknown) => e);
      expect(isFerryError(error) && error.code, String(error)).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    }
  });
});

runRuntimeConformance({
  instancePerTest: true,
  runtime: lightgbmRuntime,
  loadable,
  foreign: { path: ONNX, files: ['simple.reference.json'] },
  sample: request([[5, 'red', 1], [1, 'green', 0.3], [3, 'purple', 0]]),
  // Raw scores by hand from the trees above: 0.5 - 0.1, -0.25 + 0.1, 1 + 0.1 (z = 0 is zero: default left).
  reference: {
    probabilities: [0.4, -0.15, 1.1].flatMap((score) => [1 - sigmoid(score), sigmoid(score)]),
    label: [1n, 0n, 1n],
  },
});

describe('lightgbm categorical features', () => {
  const load = (text: string) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-cat-'));
    writeFileSync(path.join(folder, 'model.txt'), text);
    return lightgbmRuntime().load({ name: 'cat', version: '1', dir: { path: folder, files: ['model.txt'] }, options: {} }, silentContext);
  };
  // A fourth feature w that no tree splits on: LightGBM writes its feature_infos as 'none', so only the
  // categorical_feature parameter says that it is categorical (and owns the second pandas_categorical list).
  const withUnusedCategory = (param: string): string => MODEL
    .replace('max_feature_idx=2', 'max_feature_idx=3')
    .replace('feature_names=x color z', 'feature_names=x color z w')
    .replace('feature_infos=[0:10] -1:0:1:2 [0:1]', 'feature_infos=[0:10] -1:0:1:2 [0:1] none')
    .replace('[categorical_feature: 1]', param)
    .replace('pandas_categorical:[["red", "green", "blue"]]', 'pandas_categorical:[["red", "green", "blue"], ["a", "b"]]');
  const datatypes = async (text: string) => (await load(text)).signature.inputs.map((i) => `${i.name}:${i.datatype}`);
  const predict = async (text: string, rows: readonly [number, string, number][]) => {
    const instance = await load(text);
    const base = request(rows);
    const w = instance.signature.inputs.find((i) => i.name === 'w');
    const extra = w ? [{ name: 'w', datatype: w.datatype, shape: [rows.length], data: w.datatype === 'BYTES' ? rows.map(() => encoder.encode('a')) : new Float64Array(rows.length) }] : [];
    const [result] = await instance.execute([{ inputs: [...base.inputs, ...extra] } as InferRequest], new AbortController().signal);
    return Array.from(result!.outputs.find((t) => t.name === 'probabilities')!.data as Float64Array).filter((_, i) => i % 2 === 1);
  };
  // The split rules of the model above: red and blue are in tree 0's set, green is not.
  const rows: [number, string, number][] = [[5, 'red', 1], [1, 'green', 0.3], [3, 'blue', -1]];
  const expected = [sigmoid(0.5 - 0.1), sigmoid(-0.25 + 0.1), sigmoid(0.5 + 0.1)];

  it('takes the categorical_feature parameter over feature_infos when only it matches pandas_categorical', async () => {
    for (const param of ['[categorical_feature: 1,3]', '[categorical_feature: 3,1]', '[categorical_feature:1,3]', '[categorical_feature: color,w]', '[categorical_feature: 1, w]']) {
      expect(await datatypes(withUnusedCategory(param)), param).toEqual(['x:FP64', 'color:BYTES', 'z:FP64', 'w:BYTES']);
      const got = await predict(withUnusedCategory(param), rows);
      got.forEach((p, r) => expect(p, param).toBeCloseTo(expected[r]!, 15));
    }
  });

  it('falls back to feature_infos when the parameter is missing, empty, out of range or disagrees with pandas_categorical', async () => {
    const fromInfos = ['x:FP64', 'color:BYTES', 'z:FP64'];
    for (const param of ['', '[categorical_feature: ]', '[categorical_feature:]', '[categorical_feature: 1,2]', '[categorical_feature: 7]', '[categorical_feature: -1]', '[categorical_feature: nosuch]', '[categorical_feature: 3]', ' [categorical_feature: 3]', '[categorical_feature: 3] ']) {
      expect(await datatypes(MODEL.replace('[categorical_feature: 1]', param)), JSON.stringify(param)).toEqual(fromInfos);
      const got = await predict(MODEL.replace('[categorical_feature: 1]', param), rows);
      got.forEach((p, r) => expect(p, param).toBeCloseTo(expected[r]!, 15));
    }
  });

  it('refuses pandas_categorical lists that match neither source of categorical features', async () => {
    for (const param of ['[categorical_feature: 1]', '[categorical_feature: 1,2,3]']) {
      const error = await load(withUnusedCategory(param)).catch((e: unknown) => e);
      expect(isFerryError(error) && error.code, param).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      expect(String(error)).toMatch(/pandas_categorical has 2 category lists for 1 categorical features/);
    }
  });

  it('treats numeric features as numbers when pandas_categorical is empty or null', async () => {
    for (const lists of ['pandas_categorical:null', 'pandas_categorical:', 'pandas_categorical:[]']) {
      const text = MODEL.replace('pandas_categorical:[["red", "green", "blue"]]', lists);
      expect(await datatypes(text), lists).toEqual(['x:FP64', 'color:FP64', 'z:FP64']);
    }
  });

  it('refuses more iterations than the file holds', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-it-'));
    writeFileSync(path.join(folder, 'model.txt'), MODEL);
    const error = await lightgbmRuntime().load({ name: 'it', version: '1', dir: { path: folder, files: ['model.txt'] }, options: { num_iteration: 3 } }, silentContext).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/iteration range \[0, 3\) exceeds the 2 iterations in the file/);
  });
});

describe('lightgbm file details', () => {
  const load = (text: string, options: Record<string, unknown> = {}) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-detail-'));
    writeFileSync(path.join(folder, 'model.txt'), text);
    return lightgbmRuntime().load({ name: 'detail', version: '1', dir: { path: folder, files: ['model.txt'] }, options }, silentContext);
  };
  const scores = async (text: string, rows: readonly [number, string, number][], options: Record<string, unknown> = {}) => {
    const instance = await load(text, options);
    const [result] = await instance.execute([request(rows)], new AbortController().signal);
    return Array.from(result!.outputs[0]!.data as Float64Array);
  };
  const regression = MODEL.replace('objective=binary sigmoid:1', 'objective=regression');

  it('treats z within ±1e-35 (float32) as zero under missing_type Zero, whichever side of the threshold zero lies', async () => {
    // Tree 1 split at -0.5: zero takes the default (left, 0.1) although 0 > -0.5; -0.2 is a number above it (right, -0.1).
    const text = regression.replace('threshold=0.5\n', 'threshold=-0.5\n');
    const zero = Math.fround(1e-35);
    const got = await scores(text, [[1, 'green', 0], [1, 'green', zero], [1, 'green', -zero], [1, 'green', -0.2], [1, 'green', 2 * zero], [1, 'green', -1]]);
    expect(got).toEqual([-0.25 + 0.1, -0.25 + 0.1, -0.25 + 0.1, -0.25 - 0.1, -0.25 - 0.1, -0.25 + 0.1]);
  });

  it('reads NaN as 0 at a split whose missing_type is None, whatever its default direction', async () => {
    // Tree 0 node 1 (x <= 2.5) with decision_type 0: no missing type, default right. NaN becomes 0 <= 2.5: left (-0.25).
    const text = regression.replace('decision_type=1 10', 'decision_type=1 0');
    expect(await scores(text, [[NaN, 'green', 1], [3, 'green', 1]])).toEqual([-0.25 - 0.1, 1 - 0.1]);
  });

  it('reads the C++ spellings of infinite and NaN thresholds', async () => {
    // Tree 1 at -inf: every number but zero (the default, left) goes right; at nan: `z <= NaN` is false, right too.
    for (const spelling of ['-inf', '-infinity', '-INF', 'nan', 'NaN']) {
      const got = await scores(regression.replace('threshold=0.5\n', `threshold=${spelling}\n`), [[1, 'green', -1e300], [1, 'green', 0]]);
      expect(got, spelling).toEqual([-0.25 - 0.1, -0.25 + 0.1]);
    }
    for (const spelling of ['+inf', 'infinity', 'Infinity']) {
      const got = await scores(regression.replace('threshold=0.5\n', `threshold=${spelling}\n`), [[1, 'green', 1e300]]);
      expect(got, spelling).toEqual([-0.25 + 0.1]);
    }
  });

  it('averages a random forest over the iterations of iteration_range only', async () => {
    // iteration_range [1, 2): tree 1 alone, -0.1 for z = 1, averaged over that one iteration.
    const forest = regression.replace('objective=regression', 'objective=regression\naverage_output');
    expect(await scores(forest, [[5, 'red', 1]], { iteration_range: [1, 2] })).toEqual([-0.1]);
    expect(await scores(regression, [[5, 'red', 1]], { iteration_range: [1, 2] })).toEqual([-0.1]);
  });

  it('gives every row its own one-vs-all probabilities', async () => {
    const ova = MODEL.replace('num_class=1', 'num_class=2').replace('num_tree_per_iteration=1', 'num_tree_per_iteration=2')
      .replace('objective=binary sigmoid:1', 'objective=multiclassova num_class:2 sigmoid:1');
    // Row 0: tree 0 → 0.5, tree 1 → -0.1; row 1: tree 0 → -0.25, tree 1 → 0.1.
    const got = await scores(ova, [[5, 'red', 1], [1, 'green', 0.3]]);
    [sigmoid(0.5), sigmoid(-0.1), sigmoid(-0.25), sigmoid(0.1)].forEach((p, i) => expect(got[i], `[${i}]`).toBeCloseTo(p, 15));
  });

  it('loads files without tree_sizes or pandas_categorical (older LightGBM and its C++ command line write none)', async () => {
    expect(await scores(regression.replace('tree_sizes=1 1\n', ''), [[5, 'red', 1]])).toEqual([0.5 - 0.1]);
    const noPandas = await load(MODEL.replace('pandas_categorical:[["red", "green", "blue"]]\n', ''), { inputs: 'matrix' });
    expect(noPandas.signature.inputs).toEqual([{ name: 'input', datatype: 'FP64', shape: [-1, 3] }]);
    const [result] = await noPandas.execute([{ inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 3], data: Float64Array.of(5, 2, 1) }] }], new AbortController().signal);
    expect(result!.outputs[0]!.data[1]).toBeCloseTo(sigmoid(0.5 - 0.1), 15); // code 2 is in the set {0, 2}
  });

  it('reads a file named by options.file only if it starts as LightGBM writes, and a file with no trees as a score of 0', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'ferry-lgbm-named-'));
    writeFileSync(path.join(folder, 'other.txt'), MODEL.replace('tree\nversion=v4', 'trees\nversion=v4'));
    const error = await lightgbmRuntime().load({ name: 'named', version: '1', dir: { path: folder, files: ['other.txt'] }, options: { file: 'other.txt' } }, silentContext).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(String(error)).toMatch(/LightGBM model: the file does not start with 'tree' and 'version='/);
    // Trained for zero rounds: the header, then 'end of trees' straight away.
    const empty = regression.slice(0, regression.indexOf('Tree=0')).replace('tree_sizes=1 1', 'tree_sizes=') + regression.slice(regression.indexOf('end of trees'));
    expect(await scores(empty, [[5, 'red', 1]])).toEqual([0]);
  });

  it('refuses category boundaries that fall or are not whole, trees that do not fill whole iterations, and linear leaves whose lists disagree', async () => {
    const twoSets = (boundaries: string) => MODEL.replace('num_cat=1', 'num_cat=2').replace('cat_boundaries=0 1', `cat_boundaries=${boundaries}`).replace('cat_threshold=5', 'cat_threshold=5 7');
    const threeTrees = MODEL.replace('num_class=1', 'num_class=2').replace('num_tree_per_iteration=1', 'num_tree_per_iteration=2')
      .replace('objective=binary sigmoid:1', 'objective=multiclass num_class:2').replace('tree_sizes=1 1', 'tree_sizes=1 1 1')
      .replace('\n\nend of trees', `\n\n${MODEL.slice(MODEL.indexOf('Tree=1'), MODEL.indexOf('\n\nend of trees')).replace('Tree=1', 'Tree=2')}\n\nend of trees`);
    const linear = (features: string, coeffs: string) => MODEL.replace('is_linear=0\nshrinkage=1\n\n\nend', `is_linear=1\nleaf_const=0 0\nnum_features=1 0\nleaf_features=${features}\nleaf_coeff=${coeffs}\nshrinkage=1\n\n\nend`);
    const cases: [string, RegExp][] = [
      [twoSets('0 2 1'), /Tree=0 cat_boundaries must rise from 0 to the length of cat_threshold/],
      [MODEL.replace('num_cat=1', 'num_cat=3').replace('cat_boundaries=0 1', 'cat_boundaries=0 2 1 2').replace('cat_threshold=5', 'cat_threshold=5 7'), /Tree=0 cat_boundaries must rise from 0 to the length of cat_threshold/],
      [twoSets('0 0.5 2'), /Tree=0 cat_boundaries must rise from 0 to the length of cat_threshold/],
      [threeTrees, /3 trees do not split into iterations of 2/],
      [linear('0 1', '1'), /Tree=1 linear leaves list 2 features and 1 coefficients for 1/],
      [linear('-1', '1'), /Tree=1 has a linear leaf on feature -1/],
      [linear('0.5', '1'), /Tree=1 has a linear leaf on feature 0\.5/],
    ];
    for (const [text, message] of cases) {
      const error = await load(text).catch((e: unknown) => e);
      expect(isFerryError(error) && error.code, String(error)).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
      expect(String(error)).toMatch(message);
    }
    // Rising boundaries with an empty set between them load.
    await expect(load(twoSets('0 1 1').replace('cat_threshold=5 7', 'cat_threshold=5'))).resolves.toBeDefined();
  });
});
