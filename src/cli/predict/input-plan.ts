import { ferryError } from '../../errors/index.ts';
import type { ModelSignature } from '../../runtimes/runtime.ts';
import type { Tensor, TensorMetadata } from '../../tensor/index.ts';
import { CellError, cellDetail, failedIndex, toElements } from './cell-values.ts';
import type { RowBatch } from './row-source.ts';

/** How the file's columns become the model's input tensors, one batch of rows at a time. */
export interface InputPlan {
  /** Per model input, the file columns it reads. */
  readonly reads: readonly { readonly input: string; readonly columns: readonly string[] }[];
  tensors(batch: RowBatch, rowsBefore: number): Tensor[];
}

/**
 * Maps columns to inputs by name, as a client of the model would: an input of shape [-1] takes the column of its
 * name (one value per row); an input of shape [-1, F, ...] takes the column of its name holding F values per row
 * (a JSON array, in a CSV cell too) or, when it is the model's only input and no column has its name, the file's
 * columns in file order (less those kept with --keep), which must number F. Refused with what the file lacks.
 */
export function planInputs(signature: ModelSignature, columns: readonly string[], keep: readonly string[], file: string): InputPlan {
  const readers = signature.inputs.map((input) => readerFor(input, signature.inputs.length, columns, keep, file));
  return {
    reads: readers.map((r) => ({ input: r.input.name, columns: r.columns })),
    tensors: (batch, rowsBefore) => readers.map((r) => r.read(batch, rowsBefore)),
  };
}

interface Reader {
  readonly input: TensorMetadata;
  readonly columns: readonly string[];
  read(batch: RowBatch, rowsBefore: number): Tensor;
}

function readerFor(input: TensorMetadata, inputCount: number, columns: readonly string[], keep: readonly string[], file: string): Reader {
  const { name, datatype, shape } = input;
  const bad = (detail: string) => ferryError('FERRY_ERR_DATA_FILE', { file, detail });
  if (shape.length === 0 || shape[0] !== -1) {
    throw bad(`model input '${name}' has shape [${shape.join(',')}], without a batch dimension: it cannot be fed rows`);
  }
  const rowShape = shape.slice(1);
  if (rowShape.some((d) => d < 0)) throw bad(`model input '${name}' has shape [${shape.join(',')}]: only its first dimension may vary to be fed rows`);
  const perRow = rowShape.reduce((a, b) => a * b, 1);
  // `values` holds `perRow` values per row; a bad one is reported by its row and column.
  const tensor = (rows: number, values: readonly unknown[], rowsBefore: number, columnOf: (index: number) => string): Tensor => {
    try {
      return { name, datatype, shape: [rows, ...rowShape], data: toElements(datatype, values) };
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      const index = failedIndex(error);
      throw bad(`row ${rowsBefore + Math.floor(index / perRow) + 1}, column '${columnOf(index)}': ${cellDetail(error)}`);
    }
  };

  if (columns.includes(name)) {
    if (rowShape.length === 0) {
      return { input, columns: [name], read: (batch, before) => tensor(batch.rows, batch.column(name)!, before, () => name) };
    }
    // Each cell holds the row's values: a JSON array (text in a CSV cell), or a scalar when one value is expected.
    return {
      input,
      columns: [name],
      read(batch, before) {
        const cells = batch.column(name)!;
        const values: unknown[] = [];
        for (let r = 0; r < cells.length; r++) {
          let cell = cells[r];
          if (typeof cell === 'string' && cell.trimStart().startsWith('[')) {
            try {
              cell = JSON.parse(cell);
            } catch {
              throw bad(`row ${before + r + 1}, column '${name}': the cell is not a JSON array`);
            }
          }
          const flat = Array.isArray(cell) ? cell.flat(rowShape.length) : [cell];
          if (flat.length !== perRow) throw bad(`row ${before + r + 1}, column '${name}': ${flat.length} values, model input '${name}' [${shape.join(',')}] takes ${perRow} per row`);
          for (const v of flat) values.push(v);
        }
        return tensor(batch.rows, values, before, () => name);
      },
    };
  }
  const features = columns.filter((c) => !keep.includes(c));
  if (inputCount === 1 && rowShape.length === 1 && features.length === perRow) {
    return {
      input,
      columns: features,
      read(batch, before) {
        const cols = features.map((c) => batch.column(c)!);
        const values = new Array<unknown>(batch.rows * perRow);
        for (let r = 0; r < batch.rows; r++) for (let c = 0; c < perRow; c++) values[r * perRow + c] = cols[c]![r];
        return tensor(batch.rows, values, before, (i) => features[i % perRow]!);
      },
    };
  }
  const hint = inputCount === 1 && rowShape.length === 1
    ? ` or, as the model's only input, ${perRow} feature columns (the file has ${features.length}${keep.length ? ' besides --keep' : ''})`
    : '';
  throw bad(`model input '${name}' [${shape.join(',')}] needs a column '${name}'${hint}; the file's columns: ${columns.join(', ') || '(none)'}`);
}
