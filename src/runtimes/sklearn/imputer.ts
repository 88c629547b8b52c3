import type { Column } from '../tabular.ts';
import { expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, type Category, type EstimatorNode, type Real } from './document.ts';
import { numericColumn, type Frame, type Transformer } from './frame.ts';

type Statistic = number | string | null;

/**
 * SimpleImputer: fills missing cells with the fitted statistic; columns whose statistic is missing are dropped
 * (listed out of `columns`); `indicator_columns` append 0/1 missing indicators, as add_indicator=True does.
 */
export function simpleImputer(node: EstimatorNode, width: number, ctx: CompileContext): Transformer {
  const statistics = (node.statistics as (Real | string | null)[]).map((s): Statistic =>
    s === null ? null : typeof s === 'number' || s === 'NaN' || s === 'Infinity' || s === '-Infinity' ? real(s as Real) : s);
  expectLength(ctx, 'statistics', statistics.length, width);
  const kept = node.columns as number[];
  const indicators = node.indicator_columns as number[];
  for (const j of [...kept, ...indicators]) if (j >= width) throw invalidModel(ctx, `column ${j} is out of range (${width} inputs)`);
  const missingValue = node.missing_values as Category;
  const isMissingNumber = missingValue === null ? Number.isNaN : (v: number) => v === missingValue;
  const isMissingString = (v: string | null) => v === null || v === missingValue;
  const missingMask = (column: Column, rows: number): Uint8Array => {
    const mask = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      mask[r] = column instanceof Float64Array ? (isMissingNumber(column[r]!) ? 1 : 0) : (isMissingString(column[r]!) ? 1 : 0);
    }
    return mask;
  };
  return {
    role: 'transformer',
    width: kept.length + indicators.length,
    transform(frame: Frame): Frame {
      const columns: Column[] = kept.map((j) => {
        const statistic = statistics[j]!;
        const input = frame.columns[j]!;
        const mask = missingMask(input, frame.rows);
        if (typeof statistic === 'string') {
          const strings = input instanceof Float64Array ? Array.from(input, (v) => (Number.isNaN(v) ? null : String(v))) : input;
          return strings.map((v, r) => (mask[r] ? statistic : v));
        }
        const numbers = numericColumn(input, 'SimpleImputer');
        const out = Float64Array.from(numbers);
        for (let r = 0; r < frame.rows; r++) if (mask[r]) out[r] = statistic ?? NaN;
        return out;
      });
      for (const j of indicators) columns.push(Float64Array.from(missingMask(frame.columns[j]!, frame.rows)));
      return { rows: frame.rows, columns };
    },
  };
}
