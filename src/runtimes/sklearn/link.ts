/** Link functions shared by linear models and boosting: raw scores to probabilities, row-major [rows, k]. */

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** In place, per row: exp(x - max) / sum, as scipy.special.softmax / sklearn's softmax. */
export function softmaxRows(matrix: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, matrix[base + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(matrix[base + j]! - max);
      matrix[base + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) matrix[base + j]! /= sum;
  }
}

/** A binary model's positive-class probability p as rows [1 - p, p]. */
export function binaryProba(positive: Float64Array): Float64Array {
  const out = new Float64Array(positive.length * 2);
  for (let r = 0; r < positive.length; r++) {
    out[2 * r] = 1 - positive[r]!;
    out[2 * r + 1] = positive[r]!;
  }
  return out;
}
