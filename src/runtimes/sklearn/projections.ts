import { expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { reals, type EstimatorNode, type Real } from './document.ts';
import { numericColumns, type Frame, type Transformer } from './frame.ts';

/** PolynomialFeatures: output k is the product over inputs j of x_j ** powers[k][j]. */
export function polynomialFeatures(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const powers = node.powers as number[][];
  powers.forEach((row, k) => expectLength(ctx, `powers[${k}]`, row.length, width));
  const terms = powers.map((row) => row.flatMap((p, j) => (p > 0 ? [[j, p] as const] : [])));
  return {
    role: 'transformer',
    width: powers.length,
    transform(frame: Frame): Frame {
      const input = numericColumns(frame, 'PolynomialFeatures');
      const columns = terms.map((term) => {
        const out = new Float64Array(frame.rows).fill(1);
        for (const [j, p] of term) {
          const x = input[j]!;
          for (let r = 0; r < frame.rows; r++) for (let e = 0; e < p; e++) out[r]! *= x[r]!;
        }
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}

/** PCA: (x - mean) @ components.T, divided by sqrt(explained_variance) when whitened. */
export function pca(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const mean = reals(node.mean as Real[]);
  expectLength(ctx, 'mean', mean.length, width);
  const components = (node.components as Real[][]).map((row, k) => {
    expectLength(ctx, `components[${k}]`, row.length, width);
    return reals(row);
  });
  let whitening: Float64Array | undefined;
  if (node.whiten === true) {
    if (!Array.isArray(node.explained_variance)) throw invalidModel(ctx, 'whiten needs explained_variance');
    whitening = reals(node.explained_variance as Real[]).map(Math.sqrt);
    expectLength(ctx, 'explained_variance', whitening.length, components.length);
  }
  return {
    role: 'transformer',
    width: components.length,
    transform(frame: Frame): Frame {
      const centred = numericColumns(frame, 'PCA').map((column, j) => column.map((v) => v - mean[j]!));
      const columns = components.map((component, k) => {
        const out = new Float64Array(frame.rows);
        for (let j = 0; j < width; j++) {
          const c = component[j]!;
          const x = centred[j]!;
          for (let r = 0; r < frame.rows; r++) out[r]! += x[r]! * c;
        }
        if (whitening) for (let r = 0; r < frame.rows; r++) out[r]! /= whitening[k]!;
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}
