import { bfloat16BitsToFloat, halfBitsToFloat, type Tensor } from '../../tensor/index.ts';

/** One output element as a plain value: a number (NaN kept), a bigint, a boolean or a string. */
export type Cell = number | bigint | boolean | string | null;

const text = new TextDecoder();

/** What one batch contributes to the output file: the kept input columns and the model's outputs, row by row. */
export interface OutputBatch {
  readonly rows: number;
  /** --keep columns, as read from the input. */
  readonly kept: readonly { readonly name: string; readonly values: readonly unknown[] }[];
  readonly outputs: readonly Tensor[];
}

/** An output tensor's values per row: one cell for shape [rows], a flat list for [rows, K, ...]. */
export function outputCells(tensor: Tensor): { perRow: number; scalar: boolean; cell(index: number): Cell } {
  const rows = tensor.shape[0] ?? 1;
  const perRow = rows === 0 ? tensor.shape.slice(1).reduce((a, b) => a * b, 1) : tensor.data.length / rows;
  const data = tensor.data;
  let cell: (index: number) => Cell;
  switch (tensor.datatype) {
    case 'BOOL':
      cell = (i) => (data as Uint8Array)[i] !== 0;
      break;
    case 'FP16':
      cell = (i) => halfBitsToFloat((data as Uint16Array)[i]!);
      break;
    case 'BF16':
      cell = (i) => bfloat16BitsToFloat((data as Uint16Array)[i]!);
      break;
    case 'BYTES':
      cell = (i) => text.decode((data as Uint8Array[])[i]);
      break;
    default:
      cell = (i) => (data as ArrayLike<number | bigint>)[i]!;
  }
  return { perRow, scalar: tensor.shape.length <= 1, cell };
}

/** The flat column names of an output batch: kept columns, then `name` per scalar output, `name_0..name_K-1` per vector. */
export function flatColumns(batch: OutputBatch): string[] {
  const names = batch.kept.map((k) => k.name);
  for (const output of batch.outputs) {
    const { perRow, scalar } = outputCells(output);
    if (scalar) names.push(output.name);
    else for (let j = 0; j < perRow; j++) names.push(`${output.name}_${j}`);
  }
  return names;
}

/** Column names in the nested form (JSON Lines): kept columns, then one per output, vectors as arrays. */
export function nestedColumns(batch: OutputBatch): string[] {
  return [...batch.kept.map((k) => k.name), ...batch.outputs.map((o) => o.name)];
}
