import { at, expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, reals, type EstimatorNode, type HistTreeNode, type Real } from './document.ts';
import { argmaxRows, classifier, numericColumns, regressor, type Frame, type Labels, type Predictor } from './frame.ts';
import { binaryProba, sigmoid, softmaxRows } from './link.ts';
import { checkStructure } from './tree.ts';

/** A 256-bit set of category codes (HistGradientBoosting categories are integers in [0, 255]). */
function bitset(codes: readonly number[]): Uint8Array {
  const set = new Uint8Array(256);
  for (const c of codes) set[c] = 1;
  return set;
}

interface HistTree {
  readonly leaf: Uint8Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  /** Per node: the categories that go left, for categorical splits. */
  readonly categoriesLeft: (Uint8Array | null)[];
}

function compileHistTree(node: HistTreeNode, width: number, known: readonly (Uint8Array | null)[], ctx: CompileContext): HistTree {
  const n = node.leaf.length;
  for (const field of ['feature', 'threshold', 'missing_left', 'left', 'right', 'value', 'categories_left'] as const) {
    expectLength(ctx, field, node[field].length, n);
  }
  const tree: HistTree = {
    leaf: Uint8Array.from(node.leaf, Number),
    feature: Int32Array.from(node.feature),
    threshold: Float64Array.from(node.threshold, real),
    missingLeft: Uint8Array.from(node.missing_left, Number),
    left: Int32Array.from(node.left),
    right: Int32Array.from(node.right),
    value: Float64Array.from(node.value, real),
    categoriesLeft: node.categories_left.map((c) => (c === null ? null : bitset(c))),
  };
  checkStructure(tree.left, tree.right, tree.feature, width, ctx, (i) => tree.leaf[i] === 1);
  tree.categoriesLeft.forEach((c, i) => {
    if (c && !tree.leaf[i] && !known[tree.feature[i]!]) throw invalidModel(ctx, `node ${i} is a categorical split on feature ${tree.feature[i]}, which has no known_categories`);
  });
  return tree;
}

/**
 * The value of the leaf row r reaches, following sklearn's _predict_one_from_raw_data: NaN follows
 * missing_left; a categorical value goes left when in the node's set, right when a known category, and
 * otherwise (unknown, negative, or beyond 255) goes the missing-value way.
 */
function leafValue(tree: HistTree, known: readonly (Uint8Array | null)[], columns: readonly Float64Array[], r: number): number {
  let i = 0;
  while (!tree.leaf[i]) {
    const x = columns[tree.feature[i]!]![r]!;
    const categories = tree.categoriesLeft[i];
    let goLeft: boolean;
    if (Number.isNaN(x)) goLeft = tree.missingLeft[i] === 1;
    else if (categories) {
      const code = Math.trunc(x);
      if (code < 0 || code > 255) goLeft = tree.missingLeft[i] === 1;
      else if (categories[code]) goLeft = true;
      else if (known[tree.feature[i]!]![code]) goLeft = false;
      else goLeft = tree.missingLeft[i] === 1;
    } else goLeft = x <= tree.threshold[i]!;
    i = goLeft ? tree.left[i]! : tree.right[i]!;
  }
  return tree.value[i]!;
}

interface Boosted {
  readonly k: number;
  raw(frame: Frame): Float64Array;
}

function compileBoosted(node: EstimatorNode, width: number, ctx: CompileContext): Boosted {
  const baseline = reals(node.baseline as Real[]);
  const k = baseline.length;
  const known: (Uint8Array | null)[] = new Array<Uint8Array | null>(width).fill(null);
  for (const entry of node.known_categories as { feature: number; categories: number[] }[]) {
    if (entry.feature >= width) throw invalidModel(ctx, `known_categories names feature ${entry.feature}, the input has ${width}`);
    known[entry.feature] = bitset(entry.categories);
  }
  const iterations = (node.trees as HistTreeNode[][]).map((iteration, s) => {
    expectLength(at(ctx, `trees/${s}`), 'iteration', iteration.length, k);
    return iteration.map((t, j) => compileHistTree(t, width, known, at(ctx, `trees/${s}/${j}`)));
  });
  return {
    k,
    raw(frame) {
      const x = numericColumns(frame, node.type);
      const raw = new Float64Array(frame.rows * k);
      for (let r = 0; r < frame.rows; r++) for (let j = 0; j < k; j++) raw[r * k + j] = baseline[j]!;
      for (const iteration of iterations) {
        for (let j = 0; j < k; j++) {
          const tree = iteration[j]!;
          for (let r = 0; r < frame.rows; r++) raw[r * k + j]! += leafValue(tree, known, x, r);
        }
      }
      return raw;
    },
  };
}

export function histGradientBoostingRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const boosted = compileBoosted(node, width, ctx);
  expectLength(ctx, 'baseline', boosted.k, 1);
  const exp = node.link === 'exp';
  return regressor((frame) => {
    const raw = boosted.raw(frame);
    return exp ? raw.map(Math.exp) : raw;
  });
}

export function histGradientBoostingClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  const boosted = compileBoosted(node, width, ctx);
  const softmax = node.link === 'softmax';
  expectLength(ctx, 'baseline', boosted.k, softmax ? classes.length : 1);
  if (!softmax && classes.length !== 2) throw invalidModel(ctx, `link 'logistic' needs 2 classes, not ${classes.length}`);
  return classifier(classes, true, (frame) => {
    const raw = boosted.raw(frame);
    const proba = softmax ? raw : binaryProba(raw.map(sigmoid));
    if (softmax) softmaxRows(proba, frame.rows, classes.length);
    return { classIndex: argmaxRows(proba, frame.rows, classes.length), proba };
  });
}
