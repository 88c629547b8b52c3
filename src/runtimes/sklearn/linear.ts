import { invalidModel, expectLength, type CompileContext } from './compile-context.ts';
import { real, reals, type EstimatorNode, type Real } from './document.ts';
import { argmaxRows, classifier, numericColumns, regressor, type Frame, type Labels, type Predictor } from './frame.ts';
import { binaryProba, sigmoid, softmaxRows } from './link.ts';

/** Row-major [rows, k] = X @ coef.T + intercept. */
function decision(frame: Frame, coef: readonly Float64Array[], intercept: Float64Array, where: string): Float64Array {
  const x = numericColumns(frame, where);
  const k = coef.length;
  const out = new Float64Array(frame.rows * k);
  for (let c = 0; c < k; c++) {
    const w = coef[c]!;
    for (let r = 0; r < frame.rows; r++) {
      let sum = 0;
      for (let j = 0; j < x.length; j++) sum += x[j]![r]! * w[j]!;
      out[r * k + c] = sum + intercept[c]!;
    }
  }
  return out;
}

/** LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor, LinearSVR. */
export function linearRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const coef = reals(node.coef as Real[]);
  expectLength(ctx, 'coef', coef.length, width);
  const intercept = Float64Array.of(real(node.intercept as Real));
  return regressor((frame) => decision(frame, [coef], intercept, node.type));
}

type ProbaKind = 'ovr' | 'softmax' | 'modified_huber';

/** LogisticRegression, SGDClassifier, LinearSVC: one coefficient row (binary) or one per class. */
export function linearClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  const coef = (node.coef as Real[][]).map((row, c) => {
    expectLength(ctx, `coef[${c}]`, row.length, width);
    return reals(row);
  });
  const intercept = reals(node.intercept as Real[]);
  expectLength(ctx, 'intercept', intercept.length, coef.length);
  const binary = coef.length === 1;
  if (binary ? classes.length !== 2 : coef.length !== classes.length) {
    throw invalidModel(ctx, `${coef.length} coefficient rows do not fit ${classes.length} classes`);
  }
  const proba = node.proba as ProbaKind | undefined;
  const k = classes.length;
  return classifier(classes, proba !== undefined, (frame) => {
    const scores = decision(frame, coef, intercept, node.type);
    const classIndex = binary ? Int32Array.from(scores, (d) => (d > 0 ? 1 : 0)) : argmaxRows(scores, frame.rows, k);
    return { classIndex, proba: proba && probabilities(proba, scores, frame.rows, k, binary) };
  });
}

function probabilities(kind: ProbaKind, scores: Float64Array, rows: number, k: number, binary: boolean): Float64Array {
  if (kind === 'softmax') {
    // sklearn's multinomial binary case: softmax over [-d, d].
    const matrix = binary ? Float64Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? -scores[i >> 1]! : scores[i >> 1]!)) : Float64Array.from(scores);
    softmaxRows(matrix, rows, binary ? 2 : k);
    return matrix;
  }
  const squash = kind === 'ovr' ? sigmoid : (d: number) => (Math.min(1, Math.max(-1, d)) + 1) / 2;
  if (binary) return binaryProba(scores.map(squash));
  const out = scores.map(squash);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r * k + j]!;
    // modified_huber: rows with every class at zero become uniform.
    for (let j = 0; j < k; j++) out[r * k + j] = sum === 0 ? 1 / k : out[r * k + j]! / sum;
  }
  return out;
}
