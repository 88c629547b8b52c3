import { ferryError } from '../../errors/index.ts';
import { CategoryIndex, describeCell } from './categories.ts';
import { at, expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, type Category, type EstimatorNode, type Real } from './document.ts';
import type { Frame, Transformer } from './frame.ts';

interface OneHotFeature { readonly categories: Category[]; readonly columns: number[]; readonly infrequent_column?: number | null }
interface OrdinalFeature { readonly categories: Category[]; readonly codes: Real[] }

function unknownCategory(ctx: CompileContext, feature: number, cell: string) {
  return ferryError('FERRY_ERR_INVALID_REQUEST', {
    detail: `model '${ctx.model}' (${ctx.path}): input column ${feature} has ${cell}, a category not seen in training (handle_unknown='error')`,
  });
}

/** OneHotEncoder: each category maps to one output column (-1 when dropped; infrequent ones share a column). */
export function oneHotEncoder(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const features = node.features as OneHotFeature[];
  expectLength(ctx, 'features', features.length, width);
  const outWidth = node.width as number;
  // Each output column belongs to a category (or a feature's infrequent ones): a wider output has no data behind it.
  const mapped = features.reduce((sum, f) => sum + f.columns.length + (f.infrequent_column === undefined || f.infrequent_column === null ? 0 : 1), 0);
  if (outWidth > mapped) throw invalidModel(ctx, `width ${outWidth} is more than the ${mapped} columns its categories map to`);
  const ignoreUnknown = node.handle_unknown === 'ignore';
  const encoders = features.map((f, i) => {
    const here = at(ctx, `features/${i}`);
    expectLength(here, 'columns', f.columns.length, f.categories.length);
    const infrequent = f.infrequent_column ?? -1;
    for (const c of [...f.columns, infrequent]) if (c >= outWidth) throw invalidModel(here, `output column ${c} is out of range (width ${outWidth})`);
    return { index: new CategoryIndex(f.categories), columns: Int32Array.from(f.columns), unknownColumn: infrequent };
  });
  return {
    role: 'transformer',
    width: outWidth,
    transform(frame: Frame): Frame {
      const columns = Array.from({ length: outWidth }, () => new Float64Array(frame.rows));
      encoders.forEach((encoder, i) => {
        const input = frame.columns[i]!;
        for (let r = 0; r < frame.rows; r++) {
          const position = encoder.index.find(input, r);
          let column: number;
          if (position >= 0) column = encoder.columns[position]!;
          else if (ignoreUnknown) column = encoder.unknownColumn;
          else throw unknownCategory(ctx, i, describeCell(input, r));
          if (column >= 0) columns[column]![r] = 1;
        }
      });
      return { rows: frame.rows, columns };
    },
  };
}

/** OrdinalEncoder: each category maps to its code; unknown categories to unknown_value or an error. */
export function ordinalEncoder(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const features = node.features as OrdinalFeature[];
  expectLength(ctx, 'features', features.length, width);
  const useEncoded = node.handle_unknown === 'use_encoded_value';
  if (useEncoded && node.unknown_value === undefined) throw invalidModel(ctx, "handle_unknown 'use_encoded_value' needs unknown_value");
  const unknownValue = useEncoded ? real(node.unknown_value as Real) : NaN;
  const encoders = features.map((f, i) => {
    expectLength(at(ctx, `features/${i}`), 'codes', f.codes.length, f.categories.length);
    return { index: new CategoryIndex(f.categories), codes: Float64Array.from(f.codes, real) };
  });
  return {
    role: 'transformer',
    width,
    transform(frame: Frame): Frame {
      const columns = encoders.map((encoder, i) => {
        const input = frame.columns[i]!;
        const out = new Float64Array(frame.rows);
        for (let r = 0; r < frame.rows; r++) {
          const position = encoder.index.find(input, r);
          if (position >= 0) out[r] = encoder.codes[position]!;
          else if (useEncoded) out[r] = unknownValue;
          else throw unknownCategory(ctx, i, describeCell(input, r));
        }
        return out;
      });
      return { rows: frame.rows, columns };
    },
  };
}
