import type { InferRequest } from '../../tensor/index.ts';
import { readTabular, type FeatureSpec, type InputLayout } from '../tabular.ts';
import type { CategoryLevels } from './categories.ts';

/** The features a tree model reads, in model order; `levels` maps a categorical feature's strings to codes. */
export interface TreeFeature extends FeatureSpec {
  readonly levels?: CategoryLevels;
}

export interface FeatureMatrix<T extends Float32Array | Float64Array> {
  /** Row-major [rows, features]; NaN marks a missing value. */
  readonly values: T;
  readonly rows: number;
  /** Rows contributed by each request, in order. */
  readonly rowsPerRequest: readonly number[];
}

type MatrixConstructor<T> = new (length: number) => T;

/**
 * Merges the rows of every request of a batch into one row-major matrix (one evaluation per batch, not per
 * request). Categorical strings become their training codes; a Float32Array matrix rounds numbers to float32,
 * which is how XGBoost compares them with its float32 thresholds.
 */
export function buildMatrix<T extends Float32Array | Float64Array>(
  batch: readonly InferRequest[],
  features: readonly TreeFeature[],
  layout: InputLayout,
  Matrix: MatrixConstructor<T>,
): FeatureMatrix<T> {
  const tables = batch.map((request) => readTabular(request, features, layout));
  const rowsPerRequest = tables.map((t) => t.rows);
  const rows = rowsPerRequest.reduce((a, b) => a + b, 0);
  const width = features.length;
  const values = new Matrix(rows * width);
  let rowStart = 0;
  for (const table of tables) {
    for (let f = 0; f < width; f++) {
      const column = table.columns[f]!;
      const levels = features[f]!.levels;
      if (column instanceof Float64Array) {
        for (let r = 0; r < table.rows; r++) values[(rowStart + r) * width + f] = column[r]!;
      } else {
        for (let r = 0; r < table.rows; r++) {
          const cell = column[r] ?? null;
          values[(rowStart + r) * width + f] = levels ? levels.code(cell) : cell === null || cell.trim() === '' ? NaN : Number(cell);
        }
      }
    }
    rowStart += table.rows;
  }
  return { values, rows, rowsPerRequest };
}
