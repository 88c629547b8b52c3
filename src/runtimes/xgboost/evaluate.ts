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
  walksPerRow: number,
): TreeEvaluator<Float32Array> {
  const { feature, value, left, flags, catStart, catWords, bitsets, roots, groups } = forest;
  const treeCount = roots.length;
  const groupCount = baseMargins.length;
  const margins = new Float32Array(BLOCK * groupCount);
  const scratch = new Float32Array(groupCount);
  const hasCategorical = flags.some((f) => (f & CATEGORICAL) !== 0);

  // Children are adjacent (right = left + 1). NaN fails `v < threshold` and then takes its default direction.
  const walkNumeric = (x: Float32Array, rowBase: number, root: number): number => {
    let n = root;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[rowBase + f]!;
      n = left[n]! + (v < value[n]! ? 0 : v !== v ? (flags[n]! & DEFAULT_LEFT) ^ 1 : 1);
      f = feature[n]!;
    }
    return value[n]!;
  };

  const walkMixed = (x: Float32Array, rowBase: number, root: number): number => {
    let n = root;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[rowBase + f]!;
      const bits = flags[n]!;
      if (v !== v) n = left[n]! + ((bits & DEFAULT_LEFT) ^ 1);
      else if (bits & CATEGORICAL) {
        // XGBoost truncates the code; negative or beyond the set's bitset is "not in the set": left.
        const code = Math.trunc(v);
        const word = code >>> 5;
        const inSet = code >= 0 && word < catWords[n]! && ((bitsets[catStart[n]! + word]! >>> (code & 31)) & 1) === 1;
        n = left[n]! + (inSet ? 1 : 0);
      } else n = left[n]! + (v < value[n]! ? 0 : 1);
      f = feature[n]!;
    }
    return value[n]!;
  };
  const walk = hasCategorical ? walkMixed : walkNumeric;

  return {
    Matrix: Float32Array,
    walksPerRow,
    evaluate(x, start, end, out) {
      // Blocks of rows, trees outer: a tree's nodes stay in cache while the block's rows walk it. Each row still
      // adds its trees in tree order, so the float32 sums are XGBoost's.
      for (let block = start; block < end; block += BLOCK) {
        const stop = Math.min(end, block + BLOCK);
        for (let r = block; r < stop; r++) margins.set(baseMargins, (r - block) * groupCount);
        for (let t = 0; t < treeCount; t++) {
          const root = roots[t]!;
          const g = groups[t]!;
          for (let r = block; r < stop; r++) margins[(r - block) * groupCount + g]! += walk(x, r * numFeature, root);
        }
        for (let r = block; r < stop; r++) {
          writeOutputs(margins.subarray((r - block) * groupCount, (r - block + 1) * groupCount), link, classification, out, r, scratch);
        }
      }
    },
  };
}

/** Rows evaluated together per tree (XGBoost's CPU predictor uses blocks of 64 too). */
const BLOCK = 64;

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
