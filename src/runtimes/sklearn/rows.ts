import type { Tensor, TensorData } from '../../tensor/index.ts';
import type { Column, TabularBatch } from '../tabular.ts';
import type { Frame } from './frame.ts';

/** Stacks the columns of several requests into one frame (rows of request 0, then request 1, ...). */
export function stackBatches(batches: readonly TabularBatch[], width: number): Frame {
  if (batches.length === 1) return batches[0]!;
  const rows = batches.reduce((sum, b) => sum + b.rows, 0);
  const columns: Column[] = [];
  for (let j = 0; j < width; j++) {
    if (batches.every((b) => b.columns[j] instanceof Float64Array)) {
      const column = new Float64Array(rows);
      let offset = 0;
      for (const b of batches) {
        column.set(b.columns[j] as Float64Array, offset);
        offset += b.rows;
      }
      columns.push(column);
    } else {
      columns.push(batches.flatMap((b) => Array.from(b.columns[j]!, (v: number | string | null) => (typeof v === 'number' ? (Number.isNaN(v) ? null : String(v)) : v))));
    }
  }
  return { rows, columns };
}

export function sliceFrame(frame: Frame, start: number, end: number): Frame {
  if (start === 0 && end === frame.rows) return frame;
  return { rows: end - start, columns: frame.columns.map((c) => c.slice(start, end)) };
}

function rowWidth(tensor: Tensor): number {
  return tensor.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Rows [start, end) of a tensor whose first dimension is the row. */
export function sliceTensorRows(tensor: Tensor, start: number, end: number): Tensor {
  const w = rowWidth(tensor);
  return { ...tensor, shape: [end - start, ...tensor.shape.slice(1)], data: tensor.data.slice(start * w, end * w) as TensorData };
}

/** Concatenates, output by output, the tensors computed for consecutive row chunks. */
export function concatRows(chunks: readonly Tensor[][]): Tensor[] {
  if (chunks.length === 1) return chunks[0]!;
  return chunks[0]!.map((first, t) => {
    const parts = chunks.map((c) => c[t]!);
    const rows = parts.reduce((sum, p) => sum + p.shape[0]!, 0);
    let data: TensorData;
    if (Array.isArray(first.data)) data = parts.flatMap((p) => p.data as Uint8Array[]);
    else {
      const Ctor = first.data.constructor as new (length: number) => Float64Array | BigInt64Array;
      const out = new Ctor(rows * rowWidth(first));
      let offset = 0;
      for (const p of parts) {
        (out as Float64Array).set(p.data as Float64Array, offset);
        offset += p.data.length;
      }
      data = out;
    }
    return { ...first, shape: [rows, ...first.shape.slice(1)], data };
  });
}
