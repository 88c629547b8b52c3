import { ferryError } from '../../errors/index.ts';
import type { Column } from '../tabular.ts';

/** The data flowing between pipeline steps: column-major, numbers (NaN = missing) or strings (null = missing). */
export interface Frame {
  readonly rows: number;
  readonly columns: readonly Column[];
}

/** A step that maps a frame to a frame of `width` columns. */
export interface Transformer {
  readonly role: 'transformer';
  readonly width: number;
  transform(frame: Frame): Frame;
}

/** Class labels as exported: all strings, or all numbers. */
export type Labels = readonly string[] | readonly number[];

export type Prediction =
  | { readonly task: 'regression'; readonly values: Float64Array }
  /** classIndex indexes `classes`; proba is row-major [rows, classes.length] when the model has one. */
  | { readonly task: 'classification'; readonly classIndex: Int32Array; readonly proba?: Float64Array }
  | { readonly task: 'cluster'; readonly labels: Int32Array };

/** A final estimator. */
export interface Predictor {
  readonly role: 'predictor';
  readonly task: Prediction['task'];
  readonly classes?: Labels;
  readonly hasProba: boolean;
  predict(frame: Frame): Prediction;
}

export type Step = Transformer | Predictor;

type Classified = Omit<Extract<Prediction, { task: 'classification' }>, 'task'>;

/**
 * A classifier from its per-frame prediction; `hasProba` says whether that prediction carries probabilities.
 * Built here so the predictor's task and its predictions' task cannot disagree.
 */
export function classifier(classes: Labels, hasProba: boolean, predict: (frame: Frame) => Classified): Predictor {
  return { role: 'predictor', task: 'classification', classes, hasProba, predict: (frame) => ({ task: 'classification', ...predict(frame) }) };
}

/** A regressor from its per-frame predicted values (no probabilities). */
export function regressor(values: (frame: Frame) => Float64Array): Predictor {
  return { role: 'predictor', task: 'regression', hasProba: false, predict: (frame) => ({ task: 'regression', values: values(frame) }) };
}

/** A column as numbers; strings that are not numbers are a request error (a categorical fed a numeric step). */
export function numericColumn(column: Column, where: string): Float64Array {
  if (column instanceof Float64Array) return column;
  return Float64Array.from(column, (value) => {
    if (value === null) return NaN;
    const number = Number(value.trim());
    if (value.trim() === '' || Number.isNaN(number)) {
      throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `${where} needs numbers but got '${value}'` });
    }
    return number;
  });
}

export function numericColumns(frame: Frame, where: string): Float64Array[] {
  return frame.columns.map((c) => numericColumn(c, where));
}

/** The row-wise argmax of a row-major [rows, k] matrix; the first maximum wins (as numpy.argmax). */
export function argmaxRows(matrix: Float64Array, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = matrix[r * k]!;
    for (let j = 1; j < k; j++) {
      const v = matrix[r * k + j]!;
      if (v > bestValue) { best = j; bestValue = v; }
    }
    out[r] = best;
  }
  return out;
}
