import { ferryError } from '../../errors/index.ts';
import { MAX_CATEGORY_SET_BYTES, MAX_FEATURES } from '../model-limits.ts';
import { checkTreeShape } from '../trees/structure.ts';
import { objectiveInfo, SUPPORTED_OBJECTIVES, type ObjectiveInfo } from './objective.ts';

/** One tree of an XGBoost JSON model, as stored (struct-of-arrays indexed by node id). */
export interface XgbTree {
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly splitIndex: readonly number[];
  readonly splitCondition: readonly number[];
  readonly defaultLeft: readonly number[];
  readonly splitType: readonly number[];
  /** Node id → the category codes of its categorical split (the set that goes right). */
  readonly categories: ReadonlyMap<number, readonly number[]>;
  /** Nodes on the longest root-to-leaf path. */
  readonly depth: number;
}

/** An XGBoost JSON model (save_model('model.json'), XGBoost 1.x–3.x), validated. */
export interface XgbModel {
  readonly version: readonly number[];
  readonly featureNames?: readonly string[];
  readonly featureTypes?: readonly string[];
  readonly numFeature: number;
  readonly objective: ObjectiveInfo;
  /** Output groups: classes (multi:*), targets (multi-target) or 1. */
  readonly groups: number;
  readonly numTarget: number;
  /** base_score as stored (output space), one per group. */
  readonly baseScore: readonly number[];
  readonly trees: readonly XgbTree[];
  readonly treeInfo: readonly number[];
  /** Boosting iteration i uses trees [indptr[i], indptr[i+1]). */
  readonly iterationIndptr: readonly number[];
  /** DART per-tree weights; undefined for plain gbtree. */
  readonly weightDrop?: readonly number[];
  readonly bestIteration?: number;
  /** Per feature: the training category list (XGBoost 3 `cats.enc`), or undefined. */
  readonly categoryLevels: readonly (readonly string[] | undefined)[];
}

type Json = Record<string, unknown>;

/** Parses and validates the JSON document; every defect is a FERRY_ERR_MODEL_LOAD_FAILED naming what is wrong. */
export function parseXgbModel(model: string, document: unknown): XgbModel {
  const fail = (detail: string): never => {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `XGBoost JSON: ${detail}` });
  };
  const unsupported = (detail: string): never => {
    throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail });
  };
  const learner = object(object(document, 'document', fail)['learner'], 'learner', fail);
  const param = object(learner['learner_model_param'], 'learner.learner_model_param', fail);
  const objectiveName = String(object(learner['objective'], 'learner.objective', fail)['name'] ?? '');
  const objective = objectiveInfo(objectiveName) ??
    unsupported(`XGBoost objective '${objectiveName}' is not supported (supported: ${SUPPORTED_OBJECTIVES.join(', ')})`);

  const booster = object(learner['gradient_booster'], 'learner.gradient_booster', fail);
  const boosterName = booster['name'];
  let gbtree: Json;
  let weightDrop: unknown;
  if (boosterName === 'gbtree') {
    gbtree = object(booster['model'], 'gradient_booster.model', fail);
    weightDrop = gbtree['weight_drop']; // XGBoost 3 saves DART as gbtree with per-tree weights
  } else if (boosterName === 'dart') {
    gbtree = object(object(booster['gbtree'], 'gradient_booster.gbtree', fail)['model'], 'gradient_booster.gbtree.model', fail);
    weightDrop = booster['weight_drop'];
  } else {
    return unsupported(`XGBoost booster '${String(boosterName)}' is not supported (gbtree and dart are)`);
  }

  // Counts the file declares are checked against what it holds before anything is sized by them.
  const numFeature = count(param['num_feature'], 'num_feature', fail);
  if (numFeature > MAX_FEATURES) fail(`num_feature ${numFeature} exceeds the limit of ${MAX_FEATURES} features`);
  const numClass = count(param['num_class'] ?? '0', 'num_class', fail);
  const numTarget = Math.max(1, count(param['num_target'] ?? '1', 'num_target', fail));
  if (numClass > 1 && numTarget > 1) fail('num_class and num_target cannot both exceed 1');
  if (objective.kind === 'multiclass' && numClass < 2) fail(`objective ${objective.name} needs num_class >= 2`);
  const groups = Math.max(numClass, numTarget, 1);
  const rawTrees = array(gbtree['trees'], 'trees', fail);
  // Every output group has at least one tree: XGBoost grows one per group and iteration.
  if (groups > Math.max(1, rawTrees.length)) {
    fail(`${numClass > 1 ? `num_class ${numClass}` : `num_target ${numTarget}`} is more output groups than the ${rawTrees.length} trees in the file`);
  }
  const baseScore = parseBaseScore(param['base_score'], groups, fail);

  const trees = rawTrees.map((t, i) => parseTree(object(t, `trees[${i}]`, fail), i, numFeature, fail, unsupported));
  checkCategorySets(trees, fail);
  const treeInfo = numbers(gbtree['tree_info'] ?? [], 'tree_info', fail);
  if (treeInfo.length !== trees.length) fail(`tree_info has ${treeInfo.length} entries for ${trees.length} trees`);
  for (const g of treeInfo) if (!Number.isInteger(g) || g < 0 || g >= groups) fail(`tree_info names output group ${g} of ${groups}`);

  const iterationIndptr = gbtree['iteration_indptr'] !== undefined
    ? numbers(gbtree['iteration_indptr'], 'iteration_indptr', fail)
    : legacyIndptr(trees.length, groups, gbtree, fail);
  validateIndptr(iterationIndptr, trees.length, fail);

  let drops: number[] | undefined;
  if (weightDrop !== undefined) {
    drops = numbers(weightDrop, 'weight_drop', fail);
    if (drops.length !== trees.length) fail(`weight_drop has ${drops.length} weights for ${trees.length} trees`);
  }

  const featureNames = learner['feature_names'] === undefined ? undefined : strings(learner['feature_names'], 'feature_names', fail);
  const featureTypes = learner['feature_types'] === undefined ? undefined : strings(learner['feature_types'], 'feature_types', fail);
  if (featureNames && featureNames.length > 0 && featureNames.length !== numFeature) fail(`${featureNames.length} feature_names for num_feature ${numFeature}`);
  if (featureTypes && featureTypes.length > 0 && featureTypes.length !== numFeature) fail(`${featureTypes.length} feature_types for num_feature ${numFeature}`);

  const attributes = (learner['attributes'] ?? {}) as Json;
  const best = attributes['best_iteration'];
  const bestIteration = best === undefined ? undefined : Number(best);
  if (bestIteration !== undefined && (!Number.isInteger(bestIteration) || bestIteration < 0)) fail(`attributes.best_iteration '${String(best)}' is not an iteration`);

  return {
    version: Array.isArray((document as Json)['version']) ? ((document as Json)['version'] as number[]) : [],
    ...(featureNames && featureNames.length > 0 ? { featureNames } : {}),
    ...(featureTypes && featureTypes.length > 0 ? { featureTypes } : {}),
    numFeature,
    objective,
    groups,
    numTarget,
    baseScore,
    trees,
    treeInfo,
    iterationIndptr,
    ...(drops ? { weightDrop: drops } : {}),
    ...(bestIteration !== undefined ? { bestIteration } : {}),
    categoryLevels: parseCategoryLevels(gbtree['cats'], numFeature, fail),
  };
}

function parseTree(t: Json, index: number, numFeature: number, fail: (d: string) => never, unsupported: (d: string) => never): XgbTree {
  const where = `trees[${index}]`;
  const param = object(t['tree_param'], `${where}.tree_param`, fail);
  const leafVector = Number(param['size_leaf_vector'] ?? 1);
  if (leafVector > 1) unsupported('XGBoost multi-target trees with vector leaves (multi_strategy=multi_output_tree) are not supported');
  const left = numbers(t['left_children'], `${where}.left_children`, fail);
  const n = left.length;
  if (n === 0) fail(`${where} has no nodes`);
  const field = (name: string, fallback?: number[]): number[] => {
    const values = t[name] === undefined && fallback ? fallback : numbers(t[name], `${where}.${name}`, fail);
    if (values.length !== n) fail(`${where}.${name} has ${values.length} entries for ${n} nodes`);
    return values;
  };
  const right = field('right_children');
  const splitIndex = field('split_indices');
  const splitCondition = field('split_conditions');
  const defaultLeft = field('default_left');
  const splitType = field('split_type', new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) continue;
    if (!isNode(left[i]!, n) || !isNode(right[i]!, n)) fail(`${where} node ${i} has children out of range`);
    if (!Number.isInteger(splitIndex[i]) || splitIndex[i]! < 0 || splitIndex[i]! >= numFeature) fail(`${where} node ${i} splits on feature ${splitIndex[i]} of ${numFeature}`);
  }
  const categories = new Map<number, number[]>();
  const nodes = t['categories_nodes'] === undefined ? [] : numbers(t['categories_nodes'], `${where}.categories_nodes`, fail);
  if (nodes.length > 0) {
    const all = numbers(t['categories'], `${where}.categories`, fail);
    const segments = numbers(t['categories_segments'], `${where}.categories_segments`, fail);
    const sizes = numbers(t['categories_sizes'], `${where}.categories_sizes`, fail);
    if (segments.length !== nodes.length || sizes.length !== nodes.length) fail(`${where} categorical segments do not match categories_nodes`);
    nodes.forEach((node, j) => {
      const start = segments[j]!;
      const end = start + sizes[j]!;
      if (!isNode(node, n) || start < 0 || end > all.length) fail(`${where} categorical node ${node} is out of range`);
      const codes = all.slice(start, end);
      if (codes.some((c) => !Number.isInteger(c) || c < 0 || c > MAX_CATEGORY)) fail(`${where} node ${node} has an invalid category code`);
      categories.set(node, codes);
    });
  }
  for (let i = 0; i < n; i++) if (left[i] !== -1 && splitType[i] === 1 && !categories.has(i)) fail(`${where} node ${i} is categorical without a category set`);
  const { depth } = checkTreeShape(where, n, (i) => (left[i] === -1 ? undefined : [left[i]!, right[i]!]), (i) => `node ${i}`, fail);
  return { left, right, splitIndex, splitCondition, defaultLeft, splitType, categories, depth };
}

/** A category set is a bitset as wide as its largest code: one code near 2^24 costs 2 MiB, whatever the file's size. */
function checkCategorySets(trees: readonly XgbTree[], fail: (d: string) => never): void {
  let bytes = 0;
  for (const tree of trees) {
    for (const codes of tree.categories.values()) bytes += 4 * ((codes.reduce((m, c) => Math.max(m, c), 0) >>> 5) + 1);
  }
  if (bytes > MAX_CATEGORY_SET_BYTES) {
    fail(`category sets need ${Math.ceil(bytes / 2 ** 20)} MiB, more than the limit of ${MAX_CATEGORY_SET_BYTES / 2 ** 20} MiB`);
  }
}

/** Category codes above this would make bitsets absurdly large; XGBoost's own limit is far lower in practice. */
const MAX_CATEGORY = 1 << 24;

/** XGBoost 1.x files have no iteration_indptr: each iteration holds num_parallel_tree trees per group. */
function legacyIndptr(trees: number, groups: number, gbtree: Json, fail: (d: string) => never): number[] {
  const param = (gbtree['gbtree_model_param'] ?? {}) as Json;
  const parallel = Math.max(1, Number(param['num_parallel_tree'] ?? 1));
  const perIteration = parallel * groups;
  if (!Number.isInteger(perIteration) || trees % perIteration !== 0) fail(`${trees} trees do not split into iterations of ${perIteration}`);
  return Array.from({ length: trees / perIteration + 1 }, (_, i) => i * perIteration);
}

function validateIndptr(indptr: readonly number[], trees: number, fail: (d: string) => never): void {
  if (indptr.length === 0 || indptr[0] !== 0 || indptr[indptr.length - 1] !== trees) fail(`iteration_indptr must run from 0 to ${trees}`);
  for (let i = 1; i < indptr.length; i++) if (!(indptr[i]! >= indptr[i - 1]!)) fail('iteration_indptr must not decrease');
}

/** '5E-1' (1.x/2.x) or '[2.3538704E-1]' / '[1.5E1,2.3E1]' (3.x); a single value applies to every group. */
function parseBaseScore(raw: unknown, groups: number, fail: (d: string) => never): number[] {
  const text = String(raw ?? '').trim().replace(/^\[/, '').replace(/\]$/, '');
  const values = text.split(',').map((s) => Number(s.trim()));
  if (text === '' || values.some((v) => !Number.isFinite(v))) fail(`base_score '${String(raw)}' is not a number or list of numbers`);
  if (values.length === 1) return new Array<number>(groups).fill(values[0]!);
  if (values.length !== groups) fail(`base_score has ${values.length} values for ${groups} output groups`);
  return values;
}

/** XGBoost 3 `cats.enc`: per feature, UTF-8 `values` split at `offsets` (strings) or plain numeric `values`. */
function parseCategoryLevels(cats: unknown, numFeature: number, fail: (d: string) => never): (string[] | undefined)[] {
  const levels = new Array<string[] | undefined>(numFeature).fill(undefined);
  if (cats === undefined || cats === null) return levels;
  const enc = (cats as Json)['enc'];
  if (enc === undefined) return levels;
  const list = array(enc, 'cats.enc', fail);
  if (list.length === 0) return levels; // a model without categorical features
  if (list.length !== numFeature) fail(`cats.enc has ${list.length} entries for ${numFeature} features`);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  list.forEach((entry, f) => {
    const e = object(entry, `cats.enc[${f}]`, fail);
    const values = numbers(e['values'] ?? [], `cats.enc[${f}].values`, fail);
    const offsets = e['offsets'] === undefined ? undefined : numbers(e['offsets'], `cats.enc[${f}].offsets`, fail);
    if (values.length === 0) return;
    if (offsets === undefined || offsets.length === 0) {
      levels[f] = values.map((v) => String(v));
      return;
    }
    const bytes = Uint8Array.from(values);
    const names: string[] = [];
    for (let i = 0; i + 1 < offsets.length; i++) {
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      if (!(start >= 0 && end >= start && end <= bytes.length)) fail(`cats.enc[${f}].offsets out of range`);
      names.push(decoder.decode(bytes.subarray(start, end)));
    }
    levels[f] = names;
  });
  return levels;
}

function isNode(id: number, n: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < n;
}

function object(value: unknown, what: string, fail: (d: string) => never): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is missing or not an object`);
  return value as Json;
}

function array(value: unknown, what: string, fail: (d: string) => never): unknown[] {
  if (!Array.isArray(value)) fail(`${what} is missing or not a list`);
  return value as unknown[];
}

function numbers(value: unknown, what: string, fail: (d: string) => never): number[] {
  const list = array(value, what, fail);
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    const n = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? Number(v) : NaN;
    if (Number.isNaN(n) && v !== 'NaN') fail(`${what}[${i}] is not a number`);
    out[i] = n;
  }
  return out;
}

function strings(value: unknown, what: string, fail: (d: string) => never): string[] {
  return array(value, what, fail).map((v, i) => (typeof v === 'string' ? v : fail(`${what}[${i}] is not a string`)));
}

function count(value: unknown, what: string, fail: (d: string) => never): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${what} '${String(value)}' is not a count`);
  return n;
}
