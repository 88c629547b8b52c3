import { ferryError } from '../../errors/index.ts';
import { checkTreeShape } from '../trees/structure.ts';

/** One tree of a LightGBM text model, as stored: internal nodes 0..L-2, leaf j referenced as child ~j. */
export interface LgbTree {
  readonly numLeaves: number;
  readonly splitFeature: readonly number[];
  readonly threshold: readonly number[];
  readonly decisionType: readonly number[];
  readonly leftChild: readonly number[];
  readonly rightChild: readonly number[];
  readonly leafValue: readonly number[];
  /** Categorical splits: threshold is an index into catBoundaries, which delimit words of catThreshold. */
  readonly catBoundaries: readonly number[];
  readonly catThreshold: readonly number[];
  /** Linear trees: per leaf, constant + Σ coeff × feature (leaf_value when any of those features is NaN). */
  readonly linear?: { readonly constant: readonly number[]; readonly features: readonly (readonly number[])[]; readonly coeffs: readonly (readonly number[])[] };
  /** Nodes on the longest root-to-leaf path. */
  readonly depth: number;
}

/** A LightGBM text model (Booster.save_model / model_to_string, format v2–v4), validated. */
export interface LgbModel {
  readonly numClass: number;
  readonly treesPerIteration: number;
  /** The objective line ('binary sigmoid:1'); undefined when the model was trained with a custom objective. */
  readonly objective?: string;
  readonly averageOutput: boolean;
  readonly featureNames: readonly string[];
  readonly featureInfos: readonly string[];
  readonly trees: readonly LgbTree[];
  /** `[categorical_feature: …]` from the parameters block, as feature indices. */
  readonly categoricalFeatures?: readonly number[];
  /** The trailing `pandas_categorical:` JSON: category lists of the pandas categorical columns, in column order. */
  readonly pandasCategorical: readonly (readonly (string | number | boolean)[])[];
}

export function isLightgbmText(head: string): boolean {
  return /^tree\r?\nversion=/.test(head);
}

export function parseLgbModel(model: string, text: string): LgbModel {
  const fail = (detail: string): never => {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `LightGBM model: ${detail}` });
  };
  if (!isLightgbmText(text)) fail("the file does not start with 'tree' and 'version='");
  const lines = text.split(/\r?\n/);
  const header = new Map<string, string>();
  let i = 1;
  for (; i < lines.length && !lines[i]!.startsWith('Tree='); i++) {
    const line = lines[i]!;
    if (line === 'end of trees') break;
    const eq = line.indexOf('=');
    if (eq > 0) header.set(line.slice(0, eq), line.slice(eq + 1));
    else if (line.trim() !== '') header.set(line.trim(), '');
  }
  const trees: LgbTree[] = [];
  while (i < lines.length && lines[i]!.startsWith('Tree=')) {
    const fields = new Map<string, string>();
    const where = lines[i]!;
    for (i++; i < lines.length && !lines[i]!.startsWith('Tree=') && lines[i] !== 'end of trees'; i++) {
      const eq = lines[i]!.indexOf('=');
      if (eq > 0) fields.set(lines[i]!.slice(0, eq), lines[i]!.slice(eq + 1));
    }
    trees.push(parseTree(fields, where, fail));
  }
  const rest = lines.slice(i);
  // LightGBM writes this line after the last tree; a file cut short has fewer trees and no such line.
  if (rest[0] !== 'end of trees') fail("the file ends before 'end of trees' (truncated?)");
  const treeSizes = header.get('tree_sizes')?.split(' ').filter((s) => s !== '');
  if (treeSizes !== undefined && treeSizes.length !== trees.length) fail(`tree_sizes lists ${treeSizes.length} trees, the file holds ${trees.length}`);

  const maxFeatureIdx = integer(header.get('max_feature_idx'), 'max_feature_idx', fail);
  const featureNames = (header.get('feature_names') ?? '').split(' ').filter((s) => s !== '');
  if (featureNames.length !== maxFeatureIdx + 1) fail(`${featureNames.length} feature_names for max_feature_idx ${maxFeatureIdx}`);
  const featureInfos = (header.get('feature_infos') ?? '').split(' ').filter((s) => s !== '');
  const numClass = integer(header.get('num_class') ?? '1', 'num_class', fail);
  const treesPerIteration = integer(header.get('num_tree_per_iteration') ?? String(numClass), 'num_tree_per_iteration', fail);
  if (treesPerIteration < 1) fail('num_tree_per_iteration must be at least 1');
  // Outputs are sized by these counts: each class (or target) has its own trees in the file.
  if (treesPerIteration > Math.max(1, trees.length)) fail(`num_tree_per_iteration ${treesPerIteration} but the file has ${trees.length} trees`);
  if (numClass > Math.max(1, trees.length)) fail(`num_class ${numClass} but the file has ${trees.length} trees`);
  if (trees.length % treesPerIteration !== 0) fail(`${trees.length} trees do not split into iterations of ${treesPerIteration}`);
  for (const [t, tree] of trees.entries()) {
    for (const f of tree.splitFeature) if (f > maxFeatureIdx) fail(`Tree=${t} splits on feature ${f} > max_feature_idx ${maxFeatureIdx}`);
    for (const leafFeatures of tree.linear?.features ?? []) {
      for (const f of leafFeatures) if (!Number.isInteger(f) || f < 0 || f > maxFeatureIdx) fail(`Tree=${t} has a linear leaf on feature ${f}`);
    }
  }

  const categoricalParam = /^\[categorical_feature: ?(.*)\]$/.exec(rest.find((l) => l.startsWith('[categorical_feature:')) ?? '')?.[1];
  const categoricalFeatures = categoricalParam === undefined || categoricalParam.trim() === ''
    ? undefined
    : categoricalParam.split(',').map((s) => {
      const byIndex = Number(s.trim());
      return Number.isInteger(byIndex) ? byIndex : featureNames.indexOf(s.trim());
    });
  const pandasLine = rest.find((l) => l.startsWith('pandas_categorical:'));
  let pandasCategorical: (string | number | boolean)[][] = [];
  if (pandasLine !== undefined) {
    const json = pandasLine.slice('pandas_categorical:'.length).trim();
    try {
      const parsed: unknown = json === '' || json === 'null' ? [] : JSON.parse(json);
      if (!Array.isArray(parsed) || !parsed.every((l) => Array.isArray(l))) throw new Error('not a list of lists');
      pandasCategorical = parsed as (string | number | boolean)[][];
    } catch (cause) {
      fail(`pandas_categorical is not a JSON list of category lists (${(cause as Error).message})`);
    }
  }
  const objective = header.get('objective');
  return {
    numClass,
    treesPerIteration,
    ...(objective !== undefined && objective.trim() !== '' ? { objective: objective.trim() } : {}),
    averageOutput: header.has('average_output'),
    featureNames,
    featureInfos,
    trees,
    ...(categoricalFeatures ? { categoricalFeatures } : {}),
    pandasCategorical,
  };
}

function parseTree(fields: Map<string, string>, where: string, fail: (d: string) => never): LgbTree {
  const numLeaves = integer(fields.get('num_leaves'), `${where} num_leaves`, fail);
  if (numLeaves < 1) fail(`${where} has no leaves`);
  const list = (key: string, length: number): number[] => {
    const values = numberList(fields.get(key) ?? '', `${where} ${key}`, fail);
    if (values.length !== length) fail(`${where} ${key} has ${values.length} values, expected ${length}`);
    return values;
  };
  const internal = numLeaves - 1;
  const leafValue = list('leaf_value', numLeaves);
  const splitFeature = list('split_feature', internal);
  const threshold = list('threshold', internal);
  const decisionType = internal > 0 ? list('decision_type', internal) : [];
  const leftChild = list('left_child', internal);
  const rightChild = list('right_child', internal);
  for (let n = 0; n < internal; n++) {
    for (const child of [leftChild[n]!, rightChild[n]!]) {
      const ok = Number.isInteger(child) && (child >= 0 ? child < internal : ~child < numLeaves);
      if (!ok) fail(`${where} node ${n} has child ${child} out of range`);
    }
    if (!Number.isInteger(splitFeature[n]) || splitFeature[n]! < 0) fail(`${where} node ${n} splits on feature ${splitFeature[n]}`);
  }
  const numCat = integer(fields.get('num_cat') ?? '0', `${where} num_cat`, fail);
  const catBoundaries = numCat > 0 ? list('cat_boundaries', numCat + 1) : [];
  const catThreshold = numCat > 0 ? numberList(fields.get('cat_threshold') ?? '', `${where} cat_threshold`, fail) : [];
  if (numCat > 0 && (catBoundaries[0] !== 0 || catBoundaries[numCat] !== catThreshold.length || catBoundaries.some((b, k) => !Number.isInteger(b) || (k > 0 && b < catBoundaries[k - 1]!)))) {
    fail(`${where} cat_boundaries must rise from 0 to the length of cat_threshold`);
  }
  for (let n = 0; n < internal; n++) {
    if (decisionType[n]! & 1) {
      const index = threshold[n]!;
      if (!Number.isInteger(index) || index < 0 || index >= numCat) fail(`${where} node ${n} names category set ${index} of ${numCat}`);
    }
  }
  // Internal node n is id n, leaf j is id internal + j; the root is internal node 0 (or the only leaf).
  const { depth } = checkTreeShape(
    where,
    internal + numLeaves,
    (id) => (id < internal ? [toId(leftChild[id]!, internal), toId(rightChild[id]!, internal)] : undefined),
    (id) => (id < internal ? `node ${id}` : `leaf ${id - internal}`),
    fail,
  );
  if (fields.get('is_linear') !== '1') {
    return { numLeaves, splitFeature, threshold, decisionType, leftChild, rightChild, leafValue, catBoundaries, catThreshold, depth };
  }
  const constant = list('leaf_const', numLeaves);
  const counts = list('num_features', numLeaves);
  const flatFeatures = numberList(fields.get('leaf_features') ?? '', `${where} leaf_features`, fail);
  const flatCoeffs = numberList(fields.get('leaf_coeff') ?? '', `${where} leaf_coeff`, fail);
  const total = counts.reduce((a, b) => a + b, 0);
  if (flatFeatures.length !== total || flatCoeffs.length !== total) fail(`${where} linear leaves list ${flatFeatures.length} features and ${flatCoeffs.length} coefficients for ${total}`);
  const features: number[][] = [];
  const coeffs: number[][] = [];
  let at = 0;
  for (const count of counts) {
    features.push(flatFeatures.slice(at, at + count));
    coeffs.push(flatCoeffs.slice(at, at + count));
    at += count;
  }
  return { numLeaves, splitFeature, threshold, decisionType, leftChild, rightChild, leafValue, catBoundaries, catThreshold, linear: { constant, features, coeffs }, depth };
}

/** A child as LightGBM writes it (n >= 0: internal node n; ~j: leaf j) as an id of checkTreeShape. */
function toId(child: number, internal: number): number {
  return child >= 0 ? child : internal + ~child;
}

function numberList(text: string, what: string, fail: (d: string) => never): number[] {
  const parts = text.split(' ').filter((s) => s !== '');
  return parts.map((s) => {
    const n = NON_FINITE.get(s.toLowerCase()) ?? Number(s);
    if (Number.isNaN(n) && s.toLowerCase() !== 'nan') fail(`${what}: '${s}' is not a number`);
    return n;
  });
}

/** C++ stream spellings of non-finite doubles (thresholds of splits on missing values are often inf). */
const NON_FINITE = new Map([['inf', Infinity], ['+inf', Infinity], ['-inf', -Infinity], ['infinity', Infinity], ['-infinity', -Infinity]]);

function integer(text: string | undefined, what: string, fail: (d: string) => never): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n)) fail(`${what} is missing or not an integer`);
  return n;
}
