import { expectLength, type CompileContext } from './compile-context.ts';
import { real, reals, type EstimatorNode, type Real } from './document.ts';
import { numericColumns, type Frame, type Transformer } from './frame.ts';

/** Column-wise (x - shift) / divide, with the same operation order as sklearn's in-place transforms. */
function shiftAndDivide(type: string, width: number, shift: Float64Array, divide: Float64Array): Transformer {
  return {
    role: 'transformer',
    width,
    transform(frame: Frame): Frame {
      const columns = numericColumns(frame, type).map((column, j) => {
        const out = new Float64Array(frame.rows);
        const m = shift[j]!;
        const s = divide[j]!;
        for (let r = 0; r < frame.rows; r++) out[r] = (column[r]! - m) / s;
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}

/** A scaler stored as a per-column shift (named `shiftField`) and `scale`: (x - shift) / scale. */
function shiftScaler(type: string, shiftField: 'mean' | 'center') {
  return (node: EstimatorNode, width: number, ctx: CompileContext): Transformer => {
    const shift = reals(node[shiftField] as Real[]);
    const scale = reals(node.scale as Real[]);
    expectLength(ctx, shiftField, shift.length, width);
    expectLength(ctx, 'scale', scale.length, width);
    return shiftAndDivide(type, width, shift, scale);
  };
}

export const standardScaler = shiftScaler('StandardScaler', 'mean');
export const robustScaler = shiftScaler('RobustScaler', 'center');

export function maxAbsScaler(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const scale = reals(node.scale as Real[]);
  expectLength(ctx, 'scale', scale.length, width);
  return shiftAndDivide('MaxAbsScaler', width, new Float64Array(width), scale);
}

export function minMaxScaler(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const scale = reals(node.scale as Real[]);
  const min = reals(node.min as Real[]);
  expectLength(ctx, 'scale', scale.length, width);
  expectLength(ctx, 'min', min.length, width);
  const clip = node.clip === true;
  const [low, high] = (node.feature_range as Real[]).map(real) as [number, number];
  return {
    role: 'transformer',
    width,
    transform(frame: Frame): Frame {
      const columns = numericColumns(frame, 'MinMaxScaler').map((column, j) => {
        const out = new Float64Array(frame.rows);
        for (let r = 0; r < frame.rows; r++) {
          let v = column[r]! * scale[j]! + min[j]!;
          // np.clip keeps NaN; Math.min/max would too, but be explicit.
          if (clip && !Number.isNaN(v)) v = v < low ? low : v > high ? high : v;
          out[r] = v;
        }
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}

export function normalizer(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  expectLength(ctx, 'n_features', node.n_features as number, width);
  const norm = node.norm as 'l1' | 'l2' | 'max';
  return {
    role: 'transformer',
    width,
    transform(frame: Frame): Frame {
      const input = numericColumns(frame, 'Normalizer');
      const norms = new Float64Array(frame.rows);
      for (const column of input) {
        for (let r = 0; r < frame.rows; r++) {
          const v = column[r]!;
          if (norm === 'l1') norms[r]! += Math.abs(v);
          else if (norm === 'l2') norms[r]! += v * v;
          else norms[r] = Math.max(norms[r]!, Math.abs(v));
        }
      }
      for (let r = 0; r < frame.rows; r++) {
        let n = norm === 'l2' ? Math.sqrt(norms[r]!) : norms[r]!;
        if (n === 0) n = 1; // sklearn leaves all-zero rows as they are
        norms[r] = n;
      }
      const columns = input.map((column) => {
        const out = new Float64Array(frame.rows);
        for (let r = 0; r < frame.rows; r++) out[r] = column[r]! / norms[r]!;
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}
