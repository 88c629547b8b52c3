import type { TreeEvaluator } from '../trees/instance.ts';
import { CATEGORICAL, DEFAULT_LEFT, MISSING_NAN, MISSING_ZERO, type LgbForest } from './compile.ts';
import type { LgbLink } from './objective.ts';

/** LightGBM's kZeroThreshold (1e-35f): |x| at most this counts as zero for missing_type Zero. */
const ZERO_THRESHOLD = Math.fround(1e-35);
const INT_LIMIT = 2 ** 31;

/**
 * LightGBM's prediction in float64: `x <= threshold` goes left; missing_type NaN sends NaN the default way,
 * missing_type Zero sends zero (and NaN, read as zero) the default way, missing_type None reads NaN as zero.
 * A categorical split sends categories in its bitset LEFT; NaN, negative and unseen categories go right.
 * Raw scores sum tree outputs per class in file order; average_output (random forest) divides by iterations.
 */
export function lgbEvaluator(
  compiled: LgbForest, numFeature: number, classes: number, iterations: number, average: boolean, link: LgbLink, walksPerRow: number,
): TreeEvaluator<Float64Array> {
  const { feature, value, left, right, flags, catStart, catWords, bitsets, roots, groups } = compiled.forest;
  const linear = compiled.linear;
  const treeCount = roots.length;
  const scores = new Float64Array(classes);

  const leafOf = (x: Float64Array, rowBase: number, root: number): number => {
    let n = root;
    let f = feature[n]!;
    while (f >= 0) {
      let v = x[rowBase + f]!;
      const bits = flags[n]!;
      if (bits & CATEGORICAL) {
        let inSet = false;
        if (v === v && v > -1 && v < INT_LIMIT) {
          const code = Math.trunc(v);
          const word = code >>> 5;
          inSet = word < catWords[n]! && ((bitsets[catStart[n]! + word]! >>> (code & 31)) & 1) === 1;
        }
        n = inSet ? left[n]! : right[n]!;
      } else {
        if (v !== v && !(bits & MISSING_NAN)) v = 0;
        if ((bits & MISSING_ZERO && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) || (bits & MISSING_NAN && v !== v)) {
          n = bits & DEFAULT_LEFT ? left[n]! : right[n]!;
        } else n = v <= value[n]! ? left[n]! : right[n]!;
      }
      f = feature[n]!;
    }
    return n;
  };

  const leafOutput = (x: Float64Array, rowBase: number, leaf: number): number => {
    if (!linear || linear.start[leaf]! < 0) return value[leaf]!;
    let output = linear.constant[leaf]!;
    const start = linear.start[leaf]!;
    const end = start + linear.count[leaf]!;
    for (let i = start; i < end; i++) {
      const v = x[rowBase + linear.features[i]!]!;
      if (v !== v) return value[leaf]!; // a NaN feature: the leaf falls back to its constant leaf_value
      output += linear.coeffs[i]! * v;
    }
    return output;
  };

  return {
    Matrix: Float64Array,
    walksPerRow,
    evaluate(x, start, end, out) {
      for (let r = start; r < end; r++) {
        scores.fill(0);
        const rowBase = r * numFeature;
        for (let t = 0; t < treeCount; t++) scores[groups[t]!]! += leafOutput(x, rowBase, leafOf(x, rowBase, roots[t]!));
        if (average) for (let k = 0; k < classes; k++) scores[k]! /= iterations;
        writeOutputs(scores, link, out, r);
      }
    },
  };
}

function writeOutputs(scores: Float64Array, link: LgbLink, out: Float64Array, row: number): void {
  const k = scores.length;
  switch (link.kind) {
    case 'sigmoid': {
      const p = 1 / (1 + Math.exp(-link.scale * scores[0]!));
      out[row * 2] = 1 - p;
      out[row * 2 + 1] = p;
      return;
    }
    case 'softmax': {
      let max = scores[0]!;
      for (let c = 1; c < k; c++) max = Math.max(max, scores[c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(scores[c]! - max);
        out[row * k + c] = e;
        sum += e;
      }
      for (let c = 0; c < k; c++) out[row * k + c]! /= sum;
      return;
    }
    case 'ova':
      for (let c = 0; c < k; c++) out[row * k + c] = 1 / (1 + Math.exp(-link.scale * scores[c]!));
      return;
    default:
      for (let c = 0; c < k; c++) {
        const s = scores[c]!;
        out[row * k + c] = link.kind === 'exp' ? Math.exp(s) : link.kind === 'sqrt' ? Math.sign(s) * s * s : link.kind === 'log1p_exp' ? Math.log1p(Math.exp(s)) : s;
      }
  }
}
