import { ferryError } from '../../errors/index.ts';
import { isBigIntType, type Datatype, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { decodeValues } from './nested-json.ts';
import { invalidRequest } from './request-shape.ts';

/** A table as dataframe-style protocols send it: optional column names and rows of cells. */
export interface Table {
  readonly columns: readonly string[] | undefined;
  readonly rows: readonly (readonly unknown[])[];
  /** Cells are text (CSV): numbers and booleans are read by the input's datatype, '' is a missing value. */
  readonly textCells?: boolean;
}

/**
 * Maps a table onto a model's inputs, the way MLflow and Seldon clients mean it:
 * - named 1-D inputs (one per feature, shape [-1] or [-1, 1]): a column per input, matched by name when the column
 *   names are the input names, by position (signature order) when none of them are; a partial match is an error;
 * - one 2-D input [-1, F]: the columns are its feature axis, in the order sent; their count must be F.
 * Cells take the input's datatype through the tensor codec; numbers given for a BYTES input become strings.
 */
export function tableToInputs(model: string, inputs: readonly TensorMetadata[], table: Table): Tensor[] {
  const { rows } = table;
  if (rows.length === 0) throw invalidRequest('the table has no rows');
  const width = table.columns?.length ?? rows[0]!.length;
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw invalidRequest(`row ${r} is not a list of values`);
    if (row.length !== width) throw invalidRequest(`row ${r} has ${row.length} values, expected ${width}`);
  });
  const plan = planTable(model, inputs, table.columns, width);
  if (plan.kind === 'matrix') return [matrixInput(plan.input, table, width)];
  return columnInputs(inputs, table, plan.order);
}

/** How a table's columns feed a model's inputs: all into one 2-D input, or column `order[i]` into input i. */
export type TablePlan =
  | { readonly kind: 'matrix'; readonly input: TensorMetadata }
  | { readonly kind: 'columns'; readonly order: readonly number[] };

/** The plan for a table `width` columns wide (see tableToInputs), or the error that says why there is none. */
export function planTable(model: string, inputs: readonly TensorMetadata[], columns: readonly string[] | undefined, width: number): TablePlan {
  if (inputs.length === 1 && inputs[0]!.shape.length === 2) {
    const input = inputs[0]!;
    const features = input.shape[1]!;
    if (features !== -1 && features !== width) {
      throw invalidRequest(`input '${input.name}' takes ${features} features per row, the table has ${width} columns`);
    }
    return { kind: 'matrix', input };
  }
  if (inputs.every((input) => isColumnShape(input.shape))) {
    if (width !== inputs.length) {
      throw invalidRequest(`model '${model}' takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}), the table has ${width} columns`);
    }
    return { kind: 'columns', order: columnOrder(model, inputs, columns) };
  }
  const described = inputs.map((i) => `${i.name} [${i.shape.join(',')}]`).join(', ');
  throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
    model,
    detail: `a table maps onto one 1-D input per column or onto a single 2-D input; this model takes ${described}`,
  });
}

function isColumnShape(shape: readonly number[]): boolean {
  return shape.length === 1 || (shape.length === 2 && shape[1] === 1);
}

function matrixInput(input: TensorMetadata, table: Table, width: number): Tensor {
  const cells: unknown[] = new Array(table.rows.length * width);
  table.rows.forEach((row, r) => {
    for (let c = 0; c < width; c++) cells[r * width + c] = cellFor(input.datatype, row[c], table.textCells);
  });
  const shape = [table.rows.length, width];
  return { name: input.name, datatype: input.datatype, shape, data: decodeValues(input.name, input.datatype, shape, cells) };
}

function columnInputs(inputs: readonly TensorMetadata[], table: Table, order: readonly number[]): Tensor[] {
  return inputs.map((input, i) => {
    const c = order[i]!;
    const cells = table.rows.map((row) => cellFor(input.datatype, row[c], table.textCells));
    const shape = input.shape.length === 1 ? [cells.length] : [cells.length, 1];
    return { name: input.name, datatype: input.datatype, shape, data: decodeValues(input.name, input.datatype, shape, cells) };
  });
}

/** For each input, the column that feeds it. */
function columnOrder(model: string, inputs: readonly TensorMetadata[], columns: readonly string[] | undefined): number[] {
  const positional = inputs.map((_, i) => i);
  if (!columns) return positional;
  const index = new Map(columns.map((name, c) => [name, c]));
  if (index.size !== columns.length) throw invalidRequest('column names repeat');
  const matched = inputs.filter((input) => index.has(input.name));
  if (matched.length === 0) return positional;
  if (matched.length === inputs.length) return inputs.map((input) => index.get(input.name)!);
  const missing = inputs.filter((input) => !index.has(input.name)).map((i) => i.name);
  const unknown = columns.filter((name) => !inputs.some((input) => input.name === name));
  throw invalidRequest(`columns do not match the inputs of model '${model}': missing ${missing.join(', ')}; unknown ${unknown.join(', ')}`);
}

const NUMBER_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/;

/** A table cell as the tensor codec takes it for an input of `datatype`; `text` cells (CSV) are read from their text. */
export function cellFor(datatype: Datatype, value: unknown, text = false): unknown {
  if (text && datatype !== 'BYTES' && typeof value === 'string') {
    if (value.trim() === '') return null;
    // 64-bit integers are read from their digits, not through a double that rounds them beyond 2^53.
    if (isBigIntType(datatype) && INTEGER_TEXT.test(value)) return BigInt(value.trim());
    if (datatype === 'BOOL') return /^(true|1)$/i.test(value.trim()) ? true : /^(false|0)$/i.test(value.trim()) ? false : value;
    return NUMBER_TEXT.test(value) ? Number(value) : value.trim();
  }
  if (datatype === 'BYTES') {
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
    if (value === null || value === undefined) return ''; // a missing categorical value
  }
  return value;
}

