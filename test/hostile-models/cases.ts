/**
 * The hostile-model cases: each takes a real model of examples/models (one per runtime), spoils it the way an
 * attacker or an unlucky export would, and says what Ferry must do with it: refuse it at load with an error
 * naming what is wrong, or serve exactly what the unspoiled model serves.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXAMPLE_MODELS, REPO_ROOT } from '../helpers/server.ts';
import * as onnx from './onnx-mutations.ts';

export type RuntimeName = 'onnx' | 'xgboost' | 'lightgbm' | 'sklearn' | 'pmml';

/** The unspoiled model each runtime's cases start from. */
export const ORIGINALS: Readonly<Record<RuntimeName, { readonly model: string; readonly file: string }>> = {
  onnx: { model: 'simple', file: 'model.onnx' },
  xgboost: { model: 'iris_xgboost', file: 'model.json' },
  lightgbm: { model: 'fraud_lightgbm', file: 'model.txt' },
  sklearn: { model: 'churn_sklearn', file: 'model.json' },
  pmml: { model: 'penguins_pmml', file: 'model.pmml' },
};

export type Expectation =
  /** Refused at load: the version is in ERROR and its reason (and an explicit load's error) matches. */
  | { readonly refused: RegExp }
  /** Served, and it answers the original model's reference rows with the original's predictions. */
  | { readonly served: 'as-original' }
  /** Served; a request shaped as the original's inputs is refused with 400 (its declared shapes differ). */
  | { readonly served: 'refuses-original-shape' };

export interface BuildContext {
  /** The model's folder (models/<case name>); version 1 goes in `version`. */
  readonly modelDir: string;
  readonly version: string;
  /** A folder beside the repository, outside it. */
  readonly outside: string;
  /** The original model file's bytes. */
  readonly original: Buffer;
  /** A URL on a loopback server that counts requests: a hostile file that makes Ferry fetch it is found out. */
  readonly trapUrl: string;
}

export interface HostileCase {
  readonly name: string;
  readonly runtime: RuntimeName;
  readonly title: string;
  readonly expect: Expectation;
  build(ctx: BuildContext): Promise<void>;
}

const text = (ctx: BuildContext) => ctx.original.toString('utf8');
const write = (ctx: BuildContext, file: string, content: string | Buffer) => writeFile(path.join(ctx.version, file), content);
const writeModel = (runtime: RuntimeName) => (ctx: BuildContext, content: string | Buffer) => write(ctx, ORIGINALS[runtime].file, content);
const yaml = (ctx: BuildContext, content: string) => writeFile(path.join(ctx.modelDir, 'model.yaml'), content);
const truncated = (ctx: BuildContext) => ctx.original.subarray(0, Math.floor(ctx.original.length * 0.6));

/** The original file as it is, placed outside the repository, with a link or option in the version folder naming it. */
async function outsideCopy(ctx: BuildContext, name: string): Promise<string> {
  const target = path.join(ctx.outside, name);
  await writeFile(target, ctx.original);
  return target;
}

// ---------------------------------------------------------------------------------------------------------------
// LightGBM text (fraud_lightgbm: 13 trees; Tree=1 has internal nodes 0..4)

const lightgbm = writeModel('lightgbm');

/** The file with `key=` of tree `tree` replaced by `value`. */
function lgbTreeField(source: string, tree: number, key: string, value: string): string {
  const lines = source.split('\n');
  const start = lines.indexOf(`Tree=${tree}`);
  if (start < 0) throw new Error(`no Tree=${tree}`);
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('Tree='); i++) {
    if (lines[i]!.startsWith(`${key}=`)) {
      lines[i] = `${key}=${value}`;
      return lines.join('\n');
    }
  }
  throw new Error(`Tree=${tree} has no ${key}`);
}

function lgbHeader(source: string, key: string, value: string): string {
  return source.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
}

const LIGHTGBM_CASES: HostileCase[] = [
  {
    name: 'lightgbm_cycle', runtime: 'lightgbm', title: 'child indices that form a cycle (root → 1 → root)',
    expect: { refused: /LightGBM model: Tree=1 node 0 is reached again from node 1 \(the tree has a cycle/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(lgbTreeField(text(ctx), 1, 'left_child', '1 0 -2 -4 -5'), 1, 'right_child', '-1 3 -3 4 -6')),
  },
  {
    name: 'lightgbm_shared_node', runtime: 'lightgbm', title: 'a node with two parents (a DAG, not a tree)',
    expect: { refused: /LightGBM model: Tree=1 node 3 is reached again from node 1/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(text(ctx), 1, 'left_child', '-1 3 -2 -4 -5')),
  },
  {
    name: 'lightgbm_child_out_of_range', runtime: 'lightgbm', title: 'a child index beyond the tree',
    expect: { refused: /LightGBM model: Tree=1 node 4 has child 99 out of range/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(text(ctx), 1, 'left_child', '-1 2 -2 -4 99')),
  },
  {
    name: 'lightgbm_absurd_classes', runtime: 'lightgbm', title: 'num_class and trees per iteration of 10^8 with no trees',
    expect: { refused: /LightGBM model: num_tree_per_iteration 100000000 but the file has 0 trees/ },
    build: (ctx) => {
      const header = text(ctx).split('\nTree=0')[0]!.replace(/^tree_sizes=.*\n/m, '');
      const absurd = lgbHeader(lgbHeader(lgbHeader(header, 'num_class', '100000000'), 'num_tree_per_iteration', '100000000'), 'objective', 'multiclass num_class:100000000');
      return lightgbm(ctx, `${absurd}\nend of trees\n`);
    },
  },
  {
    name: 'lightgbm_negative_linear_feature', runtime: 'lightgbm', title: 'a linear leaf reading feature -7',
    expect: { refused: /LightGBM model: Tree=0 has a linear leaf on feature -7/ },
    build: (ctx) => lightgbm(ctx, text(ctx).replace('Tree=0\nnum_leaves=1\n', 'Tree=0\nnum_leaves=1\nleaf_const=0\nnum_features=1\nleaf_features=-7\nleaf_coeff=1\n')
      .replace(/(Tree=0[\s\S]*?)is_linear=0/, '$1is_linear=1')),
  },
  {
    name: 'lightgbm_cat_boundaries', runtime: 'lightgbm', title: 'category boundaries that run backwards',
    expect: { refused: /LightGBM model: Tree=1 cat_boundaries must rise from 0 to the length of cat_threshold/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(text(ctx), 1, 'cat_boundaries', '1 0 2')),
  },
  {
    name: 'lightgbm_wrong_type', runtime: 'lightgbm', title: 'a threshold that is not a number',
    expect: { refused: /LightGBM model: Tree=1 threshold: 'abc' is not a number/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(text(ctx), 1, 'threshold', '0 abc 32.5 1 45.5')),
  },
  {
    name: 'lightgbm_truncated', runtime: 'lightgbm', title: 'the file cut at 60%',
    expect: { refused: /LightGBM model: / },
    build: (ctx) => lightgbm(ctx, truncated(ctx)),
  },
  {
    name: 'lightgbm_absurd_leaves', runtime: 'lightgbm', title: 'num_leaves of 10^9 for six listed leaves',
    expect: { refused: /LightGBM model: Tree=1 leaf_value has 6 values, expected 1000000000/ },
    build: (ctx) => lightgbm(ctx, lgbTreeField(text(ctx), 1, 'num_leaves', '1000000000')),
  },
  {
    name: 'lightgbm_tree_sizes', runtime: 'lightgbm', title: 'tree_sizes listing 50 trees for the 13 in the file',
    expect: { refused: /LightGBM model: tree_sizes lists 50 trees, the file holds 13/ },
    build: (ctx) => lightgbm(ctx, lgbHeader(text(ctx), 'tree_sizes', Array.from({ length: 50 }, () => '1000').join(' '))),
  },
  {
    name: 'lightgbm_deep_chain', runtime: 'lightgbm', title: 'Tree=0 as a chain of 5,000 splits whose leaves all hold its one value',
    expect: { served: 'as-original' },
    build: (ctx) => {
      const source = text(ctx);
      const value = /Tree=0\nnum_leaves=1\n[\s\S]*?leaf_value=(\S+)/.exec(source)![1]!;
      const internal = 5000;
      const ints = (f: (i: number) => number) => Array.from({ length: internal }, (_, i) => f(i)).join(' ');
      const chain = [
        'Tree=0', `num_leaves=${internal + 1}`, 'num_cat=0', `split_feature=${ints(() => 0)}`, `split_gain=${ints(() => 0)}`,
        `threshold=${ints(() => 1e300)}`, `decision_type=${ints(() => 10)}`,
        `left_child=${ints((i) => (i + 1 < internal ? i + 1 : ~0))}`, `right_child=${ints((i) => ~(i + 1))}`,
        `leaf_value=${Array.from({ length: internal + 1 }, () => value).join(' ')}`,
        'is_linear=0', 'shrinkage=1', '', '',
      ].join('\n');
      const withoutSizes = source.replace(/^tree_sizes=.*\n/m, '');
      return lightgbm(ctx, withoutSizes.replace(/Tree=0\n[\s\S]*?(?=Tree=1\n)/, chain));
    },
  },
  {
    name: 'lightgbm_file_escape', runtime: 'lightgbm', title: 'options.file naming a file outside the version folder',
    expect: { refused: /options\.file '\.\.\/\.\.\/\.\.\/outside\/lightgbm\.txt' must be a file inside the version folder/ },
    build: async (ctx) => {
      await outsideCopy(ctx, 'lightgbm.txt');
      await lightgbm(ctx, text(ctx));
      await yaml(ctx, "runtime: lightgbm\noptions: {file: '../../../outside/lightgbm.txt'}\n");
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// XGBoost JSON (iris_xgboost: multi:softprob, 3 classes, 24 trees, 4 named features)

const xgboost = writeModel('xgboost');
type Json = Record<string, any>;

function xgbEdit(ctx: BuildContext, edit: (learner: Json, trees: Json[]) => void): Promise<void> {
  const document = JSON.parse(text(ctx)) as Json;
  const learner = document['learner'] as Json;
  edit(learner, learner['gradient_booster']['model']['trees']);
  return xgboost(ctx, JSON.stringify(document));
}

/**
 * Tree 0 behind a chain of `depth` pass-through splits (x < +inf goes left; missing goes left too): every row ends
 * in the original tree 0, so the model predicts what the original does.
 */
function behindChain(tree: Json, depth: number): Json {
  const n = tree['left_children'].length as number;
  const leaves = depth; // one never-taken leaf per chain node, after the original nodes
  const shift = (id: number) => (id === -1 ? -1 : id + depth);
  const chain = Array.from({ length: depth }, (_, i) => i);
  const left = [...chain.map((i) => i + 1), ...tree['left_children'].map(shift), ...Array(leaves).fill(-1)];
  const right = [...chain.map((i) => depth + n + i), ...tree['right_children'].map(shift), ...Array(leaves).fill(-1)];
  const total = left.length;
  const pad = (values: unknown[], chainValue: unknown, leafValue: unknown) => [...Array(depth).fill(chainValue), ...values, ...Array(leaves).fill(leafValue)];
  return {
    ...tree,
    left_children: left,
    right_children: right,
    parents: Array(total).fill(2147483647),
    split_indices: pad(tree['split_indices'], 0, 0),
    split_conditions: pad(tree['split_conditions'], 'Infinity', 1000),
    default_left: pad(tree['default_left'], 1, 0),
    split_type: pad(tree['split_type'], 0, 0),
    base_weights: pad(tree['base_weights'], 0, 0),
    loss_changes: pad(tree['loss_changes'], 0, 0),
    sum_hessian: pad(tree['sum_hessian'], 1, 1),
    tree_param: { ...tree['tree_param'], num_nodes: String(total) },
  };
}

/** Tree 0 as a chain of `count` categorical splits on feature 0, each holding category 2^24 - 1. */
function categoricalChain(tree: Json, count: number): Json {
  const total = 2 * count + 1;
  const left = Array.from({ length: total }, (_, i) => (i < count ? i + 1 : -1));
  const right = Array.from({ length: total }, (_, i) => (i < count ? count + 1 + i : -1));
  const internal = Array.from({ length: count }, (_, i) => i);
  return {
    ...tree,
    left_children: left,
    right_children: right,
    parents: Array(total).fill(2147483647),
    split_indices: Array(total).fill(0),
    split_conditions: Array(total).fill(0),
    default_left: Array(total).fill(1),
    split_type: Array.from({ length: total }, (_, i) => (i < count ? 1 : 0)),
    base_weights: Array(total).fill(0),
    loss_changes: Array(total).fill(0),
    sum_hessian: Array(total).fill(1),
    categories: Array(count).fill(2 ** 24 - 1),
    categories_nodes: internal,
    categories_segments: internal,
    categories_sizes: Array(count).fill(1),
    tree_param: { ...tree['tree_param'], num_nodes: String(total) },
  };
}

/** `[[[…0…]]]` nested `depth` deep, built as text (JSON.stringify of such a value would overflow the stack). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

const XGBOOST_CASES: HostileCase[] = [
  {
    name: 'xgboost_cycle', runtime: 'xgboost', title: 'child indices that form a cycle (node 2 → root)',
    expect: { refused: /XGBoost JSON: trees\[0\] node 0 is reached again from node 2 \(the tree has a cycle/ },
    build: (ctx) => xgbEdit(ctx, (_, trees) => { trees[0]['left_children'] = [1, -1, 0, -1, -1]; }),
  },
  {
    name: 'xgboost_num_feature', runtime: 'xgboost', title: 'num_feature of 300,000,000 without feature names',
    expect: { refused: /XGBoost JSON: num_feature 300000000 exceeds the limit of 1048576 features/ },
    build: (ctx) => xgbEdit(ctx, (learner) => {
      learner['learner_model_param']['num_feature'] = '300000000';
      delete learner['feature_names'];
    }),
  },
  {
    name: 'xgboost_num_class', runtime: 'xgboost', title: 'num_class of 10^9',
    expect: { refused: /XGBoost JSON: num_class 1000000000 is more output groups than the 24 trees/ },
    build: (ctx) => xgbEdit(ctx, (learner) => { learner['learner_model_param']['num_class'] = '1000000000'; }),
  },
  {
    name: 'xgboost_category_sets', runtime: 'xgboost', title: '1,200 categorical splits on category 2^24 - 1 (2 MiB of bitset each)',
    expect: { refused: /XGBoost JSON: category sets need \d+ MiB, more than the limit of 64 MiB/ },
    build: (ctx) => xgbEdit(ctx, (learner, trees) => {
      trees[0] = categoricalChain(trees[0], 1200);
      learner['feature_types'] = ['c', 'q', 'q', 'q'];
    }),
  },
  {
    name: 'xgboost_child_out_of_range', runtime: 'xgboost', title: 'a child index beyond the tree',
    expect: { refused: /XGBoost JSON: trees\[0\] node 2 has children out of range/ },
    build: (ctx) => xgbEdit(ctx, (_, trees) => { trees[0]['right_children'] = [2, -1, 40, -1, -1]; }),
  },
  {
    name: 'xgboost_deep_chain', runtime: 'xgboost', title: 'tree 0 behind a chain of 20,000 pass-through splits',
    expect: { served: 'as-original' },
    build: (ctx) => xgbEdit(ctx, (_, trees) => { trees[0] = behindChain(trees[0], 20_000); }),
  },
  {
    name: 'xgboost_deep_json', runtime: 'xgboost', title: 'an attribute nested 100,000 levels deep',
    expect: { refused: /model\.json nests deeper than 256 levels/ },
    build: (ctx) => xgboost(ctx, text(ctx).replace('"attributes":{', `"attributes":{"deep":${nestedArrays(100_000)},`)),
  },
  {
    name: 'xgboost_declared_tree_count', runtime: 'xgboost', title: 'num_trees declared as 10^9 (the trees listed are what counts)',
    expect: { served: 'as-original' },
    build: (ctx) => xgbEdit(ctx, (learner) => { learner['gradient_booster']['model']['gbtree_model_param']['num_trees'] = '1000000000'; }),
  },
  {
    name: 'xgboost_wrong_type', runtime: 'xgboost', title: 'left_children as a string',
    expect: { refused: /XGBoost JSON: trees\[0\]\.left_children is missing or not a list/ },
    build: (ctx) => xgbEdit(ctx, (_, trees) => { trees[0]['left_children'] = 'abc'; }),
  },
  {
    name: 'xgboost_truncated', runtime: 'xgboost', title: 'the file cut at 60%',
    expect: { refused: /no XGBoost JSON model|is not valid JSON/ },
    build: (ctx) => xgboost(ctx, truncated(ctx)),
  },
  {
    name: 'xgboost_symlink_escape', runtime: 'xgboost', title: 'model.json is a symlink to a file outside the repository',
    expect: { refused: /model\.json is a symbolic link to a path outside the version folder/ },
    build: async (ctx) => symlink(await outsideCopy(ctx, 'xgboost.json'), path.join(ctx.version, 'model.json')),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// ferry-sklearn JSON (churn_sklearn: ColumnTransformer(imputer+scaler, imputer+one-hot) → LogisticRegression)

const sklearn = writeModel('sklearn');

function sklearnEdit(ctx: BuildContext, edit: (document: Json) => void): Promise<void> {
  const document = JSON.parse(text(ctx)) as Json;
  edit(document);
  return sklearn(ctx, JSON.stringify(document));
}

async function sklearnTreeEdit(ctx: BuildContext, edit: (tree: Json) => void): Promise<void> {
  const document = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/sklearn/decision_tree_classifier/model.json'), 'utf8')) as Json;
  edit(document['estimator']['tree']);
  return sklearn(ctx, JSON.stringify(document));
}

const SKLEARN_CASES: HostileCase[] = [
  {
    name: 'sklearn_deep_pipeline', runtime: 'sklearn', title: 'the estimator inside 5,000 nested one-step Pipelines',
    expect: { refused: /model\.json nests deeper than 256 levels/ },
    build: (ctx) => {
      const prefix = '{"type":"Pipeline","steps":['.repeat(5000);
      const suffix = ']}'.repeat(5000);
      return sklearn(ctx, text(ctx).replace('"estimator":{', `"estimator":${prefix}{`).replace(/}\s*$/, `${suffix}}`));
    },
  },
  {
    name: 'sklearn_shallow_pipeline', runtime: 'sklearn', title: 'the estimator inside 20 nested one-step Pipelines',
    expect: { served: 'as-original' },
    build: (ctx) => sklearnEdit(ctx, (document) => {
      for (let i = 0; i < 20; i++) document['estimator'] = { type: 'Pipeline', steps: [document['estimator']] };
    }),
  },
  {
    name: 'sklearn_one_hot_width', runtime: 'sklearn', title: 'a OneHotEncoder declaring 10^9 output columns (transform output)',
    expect: { refused: /OneHotEncoder: width 1000000000 is more than the 7 columns its categories map to/ },
    build: (ctx) => sklearnEdit(ctx, (document) => {
      const columns = document['estimator']['steps'][0];
      columns['transformers'][1]['estimator']['steps'][1]['width'] = 1_000_000_000;
      document['estimator'] = columns;
    }),
  },
  {
    name: 'sklearn_tree_cycle', runtime: 'sklearn', title: 'a decision tree whose node 3 points back at the root',
    expect: { refused: /node 3 has children 0, 9 outside \(3, \d+\)/ },
    build: (ctx) => sklearnTreeEdit(ctx, (tree) => { tree['left'][3] = 0; }),
  },
  {
    name: 'sklearn_wrong_type', runtime: 'sklearn', title: 'coefficients as strings',
    expect: { refused: /does not match the ferry-sklearn schema/ },
    build: (ctx) => sklearnEdit(ctx, (document) => { document['estimator']['steps'][1]['coef'] = [['a', 'b']]; }),
  },
  {
    name: 'sklearn_truncated', runtime: 'sklearn', title: 'the file cut at 60%',
    expect: { refused: /is not valid JSON/ },
    build: async (ctx) => {
      await sklearn(ctx, truncated(ctx));
      await yaml(ctx, 'runtime: sklearn\n');
    },
  },
  {
    name: 'sklearn_file_escape', runtime: 'sklearn', title: 'options.file naming a file outside the version folder',
    expect: { refused: /options\.file '\.\.\/\.\.\/\.\.\/outside\/sklearn\.json' must be a file inside the version folder/ },
    build: async (ctx) => {
      await outsideCopy(ctx, 'sklearn.json');
      await sklearn(ctx, text(ctx));
      await yaml(ctx, "runtime: sklearn\noptions: {file: '../../../outside/sklearn.json'}\n");
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// PMML (penguins_pmml: a RegressionModel classifier over two numbers and a category)

const pmml = writeModel('pmml');
const withDoctype = (source: string, doctype: string) => source.replace('<PMML ', `${doctype}\n<PMML `);

/** bill_length_mm reaches the model through `depth` nested `+ 0` Applies (exact: x + 0 is x). */
function deepApply(source: string, depth: number): string {
  const expression = `${'<Apply function="+">'.repeat(depth)}<FieldRef field="bill_length_mm"/>${'<Constant dataType="double">0</Constant></Apply>'.repeat(depth)}`;
  const dictionary = `<TransformationDictionary><DerivedField name="bill_deep" optype="continuous" dataType="double">${expression}</DerivedField></TransformationDictionary>`;
  return source.replace('</DataDictionary>', `</DataDictionary>\n  ${dictionary}`).replaceAll('NumericPredictor name="bill_length_mm"', 'NumericPredictor name="bill_deep"');
}

const PMML_CASES: HostileCase[] = [
  {
    name: 'pmml_xxe', runtime: 'pmml', title: 'an external entity naming /etc/passwd (XXE)',
    expect: { refused: /model\.pmml: the document declares entities in its DOCTYPE; PMML documents may not/ },
    build: (ctx) => pmml(ctx, withDoctype(text(ctx), '<!DOCTYPE PMML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace('description="', 'description="&xxe;')),
  },
  {
    name: 'pmml_xxe_network', runtime: 'pmml', title: 'an external entity on a loopback URL',
    expect: { refused: /the document declares entities in its DOCTYPE/ },
    build: (ctx) => pmml(ctx, withDoctype(text(ctx), `<!DOCTYPE PMML [<!ENTITY xxe SYSTEM "${ctx.trapUrl}/entity">]>`).replace('description="', 'description="&xxe;')),
  },
  {
    name: 'pmml_billion_laughs', runtime: 'pmml', title: 'billion laughs (entities expanding 10^9 times)',
    expect: { refused: /the document declares entities in its DOCTYPE/ },
    build: (ctx) => {
      const entities = ['<!ENTITY lol0 "lol">'];
      for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
      return pmml(ctx, withDoctype(text(ctx), `<!DOCTYPE PMML [${entities.join('')}]>`).replace('description="', 'description="&lol9;'));
    },
  },
  {
    name: 'pmml_external_dtd', runtime: 'pmml', title: 'an external DTD on a loopback URL (never fetched)',
    expect: { served: 'as-original' },
    build: (ctx) => pmml(ctx, withDoctype(text(ctx), `<!DOCTYPE PMML SYSTEM "${ctx.trapUrl}/dtd">`)),
  },
  {
    name: 'pmml_deep_nesting', runtime: 'pmml', title: 'Extension elements nested 100,000 deep',
    expect: { refused: /model\.pmml: elements nest deeper than 512 levels/ },
    build: (ctx) => pmml(ctx, text(ctx).replace('<Header description', `<Header>${'<Extension>'.repeat(100_000)}${'</Extension>'.repeat(100_000)}</Header>\n  <Header description`)),
  },
  {
    name: 'pmml_field_cycle', runtime: 'pmml', title: 'derived fields defined in terms of each other (a cycle)',
    expect: { refused: /model\.pmml: <FieldRef> at line \d+: field 'a' is defined in terms of itself/ },
    build: (ctx) => {
      const field = (name: string, other: string) =>
        `<DerivedField name="${name}" optype="continuous" dataType="double"><Apply function="+"><FieldRef field="${other}"/><Constant>1</Constant></Apply></DerivedField>`;
      const dictionary = `<TransformationDictionary>${field('a', 'b')}${field('b', 'a')}</TransformationDictionary>`;
      return pmml(ctx, text(ctx).replace('</DataDictionary>', `</DataDictionary>\n  ${dictionary}`).replaceAll('NumericPredictor name="bill_length_mm"', 'NumericPredictor name="a"'));
    },
  },
  {
    name: 'pmml_deep_apply', runtime: 'pmml', title: 'a feature through 300 nested Apply elements',
    expect: { served: 'as-original' },
    build: (ctx) => pmml(ctx, deepApply(text(ctx), 300)),
  },
  {
    name: 'pmml_declared_counts', runtime: 'pmml', title: 'numberOfFields of 2*10^9 (the elements present are what counts)',
    expect: { served: 'as-original' },
    build: (ctx) => pmml(ctx, text(ctx).replace('numberOfFields="4"', 'numberOfFields="2000000000"')),
  },
  {
    name: 'pmml_wrong_type', runtime: 'pmml', title: 'a coefficient that is not a number',
    expect: { refused: /model\.pmml: .*coefficient must be a number/ },
    build: (ctx) => pmml(ctx, text(ctx).replace('coefficient="-1.1634177994233978"', 'coefficient="abc"')),
  },
  {
    name: 'pmml_infinite', runtime: 'pmml', title: 'an intercept of 1e999 (infinite)',
    expect: { refused: /model\.pmml: .*intercept must be a finite number/ },
    build: (ctx) => pmml(ctx, text(ctx).replace('intercept="136.10321444330194"', 'intercept="1e999"')),
  },
  {
    name: 'pmml_truncated', runtime: 'pmml', title: 'the file cut at 60%',
    expect: { refused: /model\.pmml: malformed XML/ },
    build: (ctx) => pmml(ctx, truncated(ctx)),
  },
  {
    name: 'pmml_file_escape', runtime: 'pmml', title: 'options.file naming /etc/passwd through ../',
    expect: { refused: /options\.file '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' must be a file inside the version folder/ },
    build: async (ctx) => {
      await pmml(ctx, text(ctx));
      await yaml(ctx, "runtime: pmml\noptions: {file: '../../../../../../../../etc/passwd'}\n");
    },
  },
  {
    name: 'pmml_file_symlink', runtime: 'pmml', title: 'options.file naming a symlink to /etc/passwd',
    expect: { refused: /passwd\.pmml is a symbolic link to a path outside the version folder/ },
    build: async (ctx) => {
      await pmml(ctx, text(ctx));
      await symlink('/etc/passwd', path.join(ctx.version, 'passwd.pmml'));
      await yaml(ctx, 'runtime: pmml\noptions: {file: passwd.pmml}\n');
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// ONNX (simple: INT32 [batch,16] INPUT0, INPUT1 → OUTPUT0 = sum, OUTPUT1 = difference)

const onnxModel = writeModel('onnx');

const ONNX_CASES: HostileCase[] = [
  {
    name: 'onnx_truncated', runtime: 'onnx', title: 'the file cut at 60%',
    expect: { refused: /failed to load model 'onnx_truncated': .*(Protobuf parsing failed|invalid)/i },
    build: (ctx) => onnxModel(ctx, truncated(ctx)),
  },
  {
    name: 'onnx_empty', runtime: 'onnx', title: 'an empty file',
    expect: { refused: /failed to load model 'onnx_empty'/ },
    build: (ctx) => onnxModel(ctx, Buffer.alloc(0)),
  },
  {
    name: 'onnx_wrong_type', runtime: 'onnx', title: 'a PMML document named model.onnx',
    expect: { refused: /failed to load model 'onnx_wrong_type': .*Protobuf parsing failed/ },
    build: async (ctx) => onnxModel(ctx, await readFile(path.join(EXAMPLE_MODELS, 'penguins_pmml/1/model.pmml'))),
  },
  {
    name: 'onnx_huge_dims', runtime: 'onnx', title: 'inputs and outputs declaring 2^40 columns',
    expect: { served: 'refuses-original-shape' },
    build: (ctx) => onnxModel(ctx, onnx.hugeDeclaredDims(ctx.original, 2n ** 40n)),
  },
  {
    name: 'onnx_unsafe_dim', runtime: 'onnx', title: 'inputs declaring 2^53 + 1 columns (not a safe integer)',
    expect: { refused: /value 'INPUT0' declares dimension 9007199254740992, beyond 2\^53 - 1/ },
    build: (ctx) => onnxModel(ctx, onnx.hugeDeclaredDims(ctx.original, 2n ** 53n + 1n)),
  },
  {
    name: 'onnx_rank', runtime: 'onnx', title: 'inputs of rank 100',
    expect: { refused: /value 'INPUT0' has 100 dimensions, more than the limit of 64/ },
    build: (ctx) => onnxModel(ctx, onnx.extraDims(ctx.original, 98)),
  },
  {
    name: 'onnx_absurd_initializer', runtime: 'onnx', title: 'an initializer declaring 2^62 elements and holding 4 bytes',
    expect: { refused: /failed to load model 'onnx_absurd_initializer'/ },
    build: (ctx) => onnxModel(ctx, onnx.absurdInitializer(ctx.original)),
  },
  {
    name: 'onnx_nested_subgraphs', runtime: 'onnx', title: 'If subgraphs nested 5,000 deep',
    expect: { refused: /failed to load model 'onnx_nested_subgraphs': .*Protobuf parsing failed/ },
    build: (ctx) => onnxModel(ctx, onnx.nestedSubgraphs(ctx.original, 5000)),
  },
  {
    name: 'onnx_future_opset', runtime: 'onnx', title: 'operator set 9999',
    expect: { refused: /failed to load model 'onnx_future_opset'/ },
    build: (ctx) => onnxModel(ctx, onnx.futureOpset(ctx.original)),
  },
  {
    name: 'onnx_future_ir', runtime: 'onnx', title: 'IR version 2^40',
    expect: { refused: /failed to load model 'onnx_future_ir'/ },
    build: (ctx) => onnxModel(ctx, onnx.futureIrVersion(ctx.original)),
  },
  {
    name: 'onnx_unknown_operator', runtime: 'onnx', title: 'an operator no runtime has',
    expect: { refused: /No Op registered for FerryDoesNotExist/ },
    build: (ctx) => onnxModel(ctx, onnx.unknownOperator(ctx.original)),
  },
  {
    name: 'onnx_external_escape', runtime: 'onnx', title: 'external weights at ../../../outside/',
    expect: { refused: /External data path escapes model directory/ },
    build: async (ctx) => {
      await writeFile(path.join(ctx.outside, 'weights.bin'), Buffer.alloc(64, 1));
      await onnxModel(ctx, onnx.externalWeights(ctx.original, '../../../outside/weights.bin'));
    },
  },
  {
    name: 'onnx_external_absolute', runtime: 'onnx', title: 'external weights at an absolute path',
    expect: { refused: /Absolute path not allowed for external data location/ },
    build: (ctx) => onnxModel(ctx, onnx.externalWeights(ctx.original, '/etc/passwd')),
  },
  {
    name: 'onnx_external_symlink', runtime: 'onnx', title: 'external weights through a symlink to outside the repository',
    expect: { refused: /weights\.bin is a symbolic link to a path outside the version folder/ },
    build: async (ctx) => {
      await writeFile(path.join(ctx.outside, 'weights.bin'), Buffer.alloc(64, 1));
      await symlink(path.join(ctx.outside, 'weights.bin'), path.join(ctx.version, 'weights.bin'));
      await onnxModel(ctx, onnx.externalWeights(ctx.original, 'weights.bin'));
    },
  },
  {
    name: 'onnx_model_file_escape', runtime: 'onnx', title: 'options.model_file at ../../../outside/',
    expect: { refused: /options\.model_file '\.\.\/\.\.\/\.\.\/outside\/simple\.onnx' must be a file inside the version folder/ },
    build: async (ctx) => {
      await outsideCopy(ctx, 'simple.onnx');
      await onnxModel(ctx, ctx.original);
      await yaml(ctx, "options: {model_file: '../../../outside/simple.onnx'}\n");
    },
  },
  {
    name: 'onnx_symlink_escape', runtime: 'onnx', title: 'model.onnx is a symlink to a file outside the repository',
    expect: { refused: /model\.onnx is a symbolic link to a path outside the version folder/ },
    build: async (ctx) => symlink(await outsideCopy(ctx, 'simple-linked.onnx'), path.join(ctx.version, 'model.onnx')),
  },
];

export const HOSTILE_CASES: readonly HostileCase[] = [...ONNX_CASES, ...XGBOOST_CASES, ...LIGHTGBM_CASES, ...SKLEARN_CASES, ...PMML_CASES];

/** Writes every case into `root` (models/<case>/1/…), each from its runtime's original file. */
export async function buildHostileRepository(root: string, outside: string, trapUrl: string): Promise<void> {
  for (const hostile of HOSTILE_CASES) {
    const modelDir = path.join(root, hostile.name);
    const version = path.join(modelDir, '1');
    await mkdir(version, { recursive: true });
    const original = await readFile(path.join(EXAMPLE_MODELS, ORIGINALS[hostile.runtime].model, '1', ORIGINALS[hostile.runtime].file));
    await hostile.build({ modelDir, version, outside, original, trapUrl });
  }
}
