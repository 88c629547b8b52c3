import { expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, reals, type EstimatorNode, type Real } from './document.ts';
import { argmaxRows, classifier, numericColumns, regressor, type Frame, type Labels, type Predictor } from './frame.ts';

interface Neighbors {
  readonly k: number;
  /** For each query row: the k nearest training rows (nearest first) and their distances. */
  search(frame: Frame): { index: Int32Array; distance: Float64Array };
  /** Per-neighbour weights, row-major [rows, k], as sklearn's _get_weights. */
  weights(distance: Float64Array, rows: number): Float64Array;
}

function compileNeighbors(node: EstimatorNode, width: number, ctx: CompileContext): Neighbors & { readonly samples: number } {
  const fit = (node.fit_X as Real[][]).map((row, i) => {
    expectLength(ctx, `fit_X[${i}]`, row.length, width);
    return reals(row);
  });
  const k = node.n_neighbors as number;
  if (k > fit.length) throw invalidModel(ctx, `n_neighbors ${k} exceeds the ${fit.length} training rows`);
  const metric = node.metric as 'euclidean' | 'manhattan' | 'minkowski';
  const p = metric === 'euclidean' ? 2 : metric === 'manhattan' ? 1 : real(node.p as Real);
  const distanceWeights = node.weights === 'distance';
  // Rank by the sum of |d|^p (monotone in the distance) and take the root only for the k chosen.
  const power = p === 2 ? (d: number) => d * d : p === 1 ? Math.abs : (d: number) => Math.abs(d) ** p;
  const root = p === 2 ? Math.sqrt : p === 1 ? (s: number) => s : (s: number) => s ** (1 / p);
  return {
    k,
    samples: fit.length,
    search(frame) {
      const x = numericColumns(frame, node.type);
      const index = new Int32Array(frame.rows * k);
      const distance = new Float64Array(frame.rows * k);
      const bestIndex = new Int32Array(k);
      const bestSum = new Float64Array(k);
      for (let r = 0; r < frame.rows; r++) {
        let found = 0;
        for (let s = 0; s < fit.length; s++) {
          const row = fit[s]!;
          let sum = 0;
          for (let j = 0; j < width; j++) sum += power(x[j]![r]! - row[j]!);
          if (found === k && !(sum < bestSum[k - 1]!)) continue;
          // Insert keeping ascending order; equal distances keep the earlier training row first.
          let at = found < k ? found++ : k - 1;
          while (at > 0 && bestSum[at - 1]! > sum) {
            bestSum[at] = bestSum[at - 1]!;
            bestIndex[at] = bestIndex[at - 1]!;
            at--;
          }
          bestSum[at] = sum;
          bestIndex[at] = s;
        }
        for (let i = 0; i < k; i++) {
          index[r * k + i] = bestIndex[i]!;
          distance[r * k + i] = root(bestSum[i]!);
        }
      }
      return { index, distance };
    },
    weights(distance, rows) {
      if (!distanceWeights) return new Float64Array(rows * k).fill(1);
      const weights = new Float64Array(rows * k);
      for (let r = 0; r < rows; r++) {
        let exact = false;
        for (let i = 0; i < k; i++) if (distance[r * k + i] === 0) exact = true;
        // A query equal to training rows takes their answer alone.
        for (let i = 0; i < k; i++) {
          const d = distance[r * k + i]!;
          weights[r * k + i] = exact ? (d === 0 ? 1 : 0) : 1 / d;
        }
      }
      return weights;
    },
  };
}

export function kNeighborsClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  const neighbors = compileNeighbors(node, width, ctx);
  const labels = Int32Array.from(node.fit_y as number[]);
  expectLength(ctx, 'fit_y', labels.length, neighbors.samples);
  for (const label of labels) if (label >= classes.length) throw invalidModel(ctx, `fit_y holds class index ${label}, there are ${classes.length} classes`);
  const { k } = neighbors;
  const c = classes.length;
  return classifier(classes, true, (frame) => {
    const { index, distance } = neighbors.search(frame);
    const weights = neighbors.weights(distance, frame.rows);
    const proba = new Float64Array(frame.rows * c);
    for (let r = 0; r < frame.rows; r++) {
      let total = 0;
      for (let i = 0; i < k; i++) {
        const w = weights[r * k + i]!;
        proba[r * c + labels[index[r * k + i]!]!]! += w;
        total += w;
      }
      if (total === 0) total = 1;
      for (let j = 0; j < c; j++) proba[r * c + j]! /= total;
    }
    return { classIndex: argmaxRows(proba, frame.rows, c), proba };
  });
}

export function kNeighborsRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const neighbors = compileNeighbors(node, width, ctx);
  const targets = reals(node.fit_y as Real[]);
  expectLength(ctx, 'fit_y', targets.length, neighbors.samples);
  const { k } = neighbors;
  const uniform = node.weights !== 'distance';
  return regressor((frame) => {
    const { index, distance } = neighbors.search(frame);
    const weights = neighbors.weights(distance, frame.rows);
    const values = new Float64Array(frame.rows);
    for (let r = 0; r < frame.rows; r++) {
      let sum = 0;
      let total = 0;
      for (let i = 0; i < k; i++) {
        const w = weights[r * k + i]!;
        sum += uniform ? targets[index[r * k + i]!]! : targets[index[r * k + i]!]! * w;
        total += w;
      }
      values[r] = sum / total;
    }
    return values;
  });
}
