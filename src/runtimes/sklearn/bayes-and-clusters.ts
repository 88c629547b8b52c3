import { expectLength, type CompileContext } from './compile-context.ts';
import { reals, type EstimatorNode, type Real } from './document.ts';
import { argmaxRows, classifier, numericColumns, type Labels, type Predictor } from './frame.ts';

function matrix(rows: Real[][], width: number, name: string, ctx: CompileContext): Float64Array[] {
  return rows.map((row, i) => {
    expectLength(ctx, `${name}[${i}]`, row.length, width);
    return reals(row);
  });
}

/** GaussianNB: per-class joint log-likelihood, probabilities by log-sum-exp normalisation. */
export function gaussianNB(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  const c = classes.length;
  const theta = matrix(node.theta as Real[][], width, 'theta', ctx);
  const variance = matrix(node.var as Real[][], width, 'var', ctx);
  const prior = reals(node.class_prior as Real[]);
  for (const [name, length] of [['theta', theta.length], ['var', variance.length], ['class_prior', prior.length]] as const) expectLength(ctx, name, length, c);
  const constant = variance.map((v, i) => {
    let logs = 0;
    for (const x of v) logs += Math.log(2 * Math.PI * x);
    return { prior: Math.log(prior[i]!), norm: -0.5 * logs };
  });
  return classifier(classes, true, (frame) => {
    const x = numericColumns(frame, 'GaussianNB');
    const jll = new Float64Array(frame.rows * c);
    for (let i = 0; i < c; i++) {
      const t = theta[i]!;
      const v = variance[i]!;
      for (let r = 0; r < frame.rows; r++) {
        let sum = 0;
        for (let j = 0; j < width; j++) {
          const d = x[j]![r]! - t[j]!;
          sum += (d * d) / v[j]!;
        }
        jll[r * c + i] = constant[i]!.prior + (constant[i]!.norm - 0.5 * sum);
      }
    }
    const classIndex = argmaxRows(jll, frame.rows, c);
    const proba = new Float64Array(frame.rows * c);
    for (let r = 0; r < frame.rows; r++) {
      let max = -Infinity;
      for (let i = 0; i < c; i++) max = Math.max(max, jll[r * c + i]!);
      let sum = 0;
      for (let i = 0; i < c; i++) sum += Math.exp(jll[r * c + i]! - max);
      const logNorm = max + Math.log(sum);
      for (let i = 0; i < c; i++) proba[r * c + i] = Math.exp(jll[r * c + i]! - logNorm);
    }
    return { classIndex, proba };
  });
}

/** KMeans: the index of the nearest cluster centre (squared euclidean distance). */
export function kMeans(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const centres = matrix(node.cluster_centers as Real[][], width, 'cluster_centers', ctx);
  return {
    role: 'predictor',
    task: 'cluster',
    hasProba: false,
    predict(frame) {
      const x = numericColumns(frame, 'KMeans');
      const labels = new Int32Array(frame.rows);
      for (let r = 0; r < frame.rows; r++) {
        let best = 0;
        let bestDistance = Infinity;
        centres.forEach((centre, i) => {
          let sum = 0;
          for (let j = 0; j < width; j++) {
            const d = x[j]![r]! - centre[j]!;
            sum += d * d;
          }
          if (sum < bestDistance) { best = i; bestDistance = sum; }
        });
        labels[r] = best;
      }
      return { task: 'cluster', labels };
    },
  };
}
