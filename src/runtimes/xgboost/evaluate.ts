import type { FlatForest } from '../trees/forest.ts';
import type { TreeEvaluator } from '../trees/instance.ts';
import type { Link } from './objective.ts';
import { CATEGORICAL, DEFAULT_LEFT } from './compile.ts';

/**
 * XGBoost's prediction, reproduced in float32: features are float32 (the matrix is a Float32Array), a split sends
 * `x < threshold` left, NaN follows the default direction, a categorical split sends codes in its set right.
 * Margins start at the base margin and add each tree's leaf in float32, in tree order, as XGBoost's CPU
 * predictor does; the link then runs in float32 too.
 */
export function xgbEvaluator(
  forest: FlatForest<Float32Array>,
  numFeature: number,
  baseMargins: Float32Array,
  link: Link,
  classification: boolean,
): TreeEvaluator<Float32Array> {
  const { feature, value, left, right, flags, catStart, catWords, bitsets, roots, groups } = forest;
  const treeCount = roots.length;
  const groupCount = baseMargins.length;
  const margins = new Float32Array(groupCount);
  const scratch = new Float32Array(groupCount);

  const walk = (x: Float32Array, rowBase: number, root: number): number => {
    let n = root;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[rowBase + f]!;
      const bits = flags[n]!;
      if (v !== v) n = bits & DEFAULT_LEFT ? left[n]! : right[n]!;
      else if (bits & CATEGORICAL) {
        // XGBoost truncates the code; negative or beyond the set's bitset is "not in the set": left.
        const code = Math.trunc(v);
        const word = code >>> 5;
        const inSet = code >= 0 && word < catWords[n]! && ((bitsets[catStart[n]! + word]! >>> (code & 31)) & 1) === 1;
        n = inSet ? right[n]! : left[n]!;
      } else n = v < value[n]! ? left[n]! : right[n]!;
      f = feature[n]!;
    }
    return value[n]!;
  };

  return {
    Matrix: Float32Array,
    treesPerRow: treeCount,
    evaluate(x, start, end, out) {
      for (let r = start; r < end; r++) {
        margins.set(baseMargins);
        const rowBase = r * numFeature;
        for (let t = 0; t < treeCount; t++) margins[groups[t]!]! += walk(x, rowBase, roots[t]!);
        writeOutputs(margins, link, classification, out, r, scratch);
      }
    },
  };
}

const f32 = Math.fround;

/** Margins of one row → its output values (float32 arithmetic, stored as float64). */
function writeOutputs(margins: Float32Array, link: Link, classification: boolean, out: Float64Array, row: number, scratch: Float32Array): void {
  const k = margins.length;
  if (link === 'softmax') {
    // common::Softmax: max-shifted expf, sum in double, divide in float.
    let max = margins[0]!;
    for (let c = 1; c < k; c++) if (margins[c]! > max) max = margins[c]!;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      scratch[c] = Math.exp(f32(margins[c]! - max));
      sum += scratch[c]!;
    }
    const total = f32(sum);
    for (let c = 0; c < k; c++) out[row * k + c] = f32(scratch[c]! / total);
    return;
  }
  for (let g = 0; g < k; g++) {
    const m = margins[g]!;
    let y: number;
    switch (link) {
      case 'sigmoid': y = f32(1 / f32(1 + f32(Math.exp(-m)))); break;
      case 'exp': y = f32(Math.exp(m)); break;
      case 'hinge': y = m > 0 ? 1 : 0; break;
      default: y = m;
    }
    if (classification) {
      out[(row * k + g) * 2] = f32(1 - y); // probability of class 0, as xgboost computes it (float32)
      out[(row * k + g) * 2 + 1] = y;
    } else out[row * k + g] = y;
  }
}
