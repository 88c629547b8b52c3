import { ferryError } from '../../errors/index.ts';
import type { Datatype, Tensor, TensorMetadata } from '../../tensor/index.ts';
import { asNumbers, fromNumbers } from '../numeric.ts';
import type { CombinerSpec } from '../spec.ts';

type Method = CombinerSpec['method'];

/**
 * Combines one tensor from each input into one (pure). average / weighted_average / max: element-wise over tensors
 * of one shape; concat: along the last dimension; majority_vote: per row, the label most inputs give (a [N, C]
 * input votes for its arg-max, a [N] or [N, 1] input for its value; ties go to the smaller label).
 */
export function combine(method: Method, tensors: readonly Tensor[], weights: readonly number[] | undefined, name: string, where: string): Tensor {
  const first = tensors[0]!;
  const values = tensors.map((t) => asNumbers(t, `${where} ${method}`));
  if (method === 'concat') return concatLast(tensors, values, name, where);
  if (method === 'majority_vote') return vote(tensors, values, name, where);
  for (const t of tensors) {
    if (t.shape.join(',') !== first.shape.join(',')) {
      throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: `${where}/${t.name}`, actual: `[${t.shape.join(',')}]`, expected: `[${first.shape.join(',')}]` });
    }
  }
  const out = new Float64Array(values[0]!.length);
  if (method === 'max') {
    out.set(values[0]!);
    for (const v of values.slice(1)) for (let i = 0; i < out.length; i++) if (v[i]! > out[i]!) out[i] = v[i]!;
  } else {
    const w = method === 'weighted_average' ? weights! : values.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    values.forEach((v, k) => {
      for (let i = 0; i < out.length; i++) out[i]! += (w[k]! * v[i]!) / total;
    });
  }
  const datatype = method === 'max' ? numericOut(first.datatype) : floatOut(first.datatype);
  return { name, datatype, shape: first.shape, data: fromNumbers(out, datatype) };
}

function floatOut(datatype: Datatype): 'FP32' | 'FP64' {
  return datatype === 'FP32' ? 'FP32' : 'FP64';
}

function numericOut(datatype: Datatype): Exclude<Datatype, 'BYTES' | 'FP16' | 'BF16'> {
  return datatype === 'BYTES' || datatype === 'FP16' || datatype === 'BF16' ? 'FP64' : datatype;
}

function rowsOf(t: Tensor): number {
  return t.shape.length === 0 ? 1 : t.shape[0]!;
}

function concatLast(tensors: readonly Tensor[], values: readonly Float64Array[], name: string, where: string): Tensor {
  const rows = rowsOf(tensors[0]!);
  const widths = tensors.map((t) => {
    if (rowsOf(t) !== rows) throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: `${where}/${t.name}`, actual: `[${t.shape.join(',')}]`, expected: `[${rows}, ...]` });
    return rows === 0 ? 0 : t.data.length / rows;
  });
  const width = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let offset = r * width;
    values.forEach((v, k) => {
      out.set(v.subarray(r * widths[k]!, (r + 1) * widths[k]!), offset);
      offset += widths[k]!;
    });
  }
  const same = tensors.every((t) => t.datatype === tensors[0]!.datatype);
  const datatype = same ? numericOut(tensors[0]!.datatype) : 'FP64';
  return { name, datatype, shape: [rows, width], data: fromNumbers(out, datatype) };
}

function vote(tensors: readonly Tensor[], values: readonly Float64Array[], name: string, where: string): Tensor {
  const rows = rowsOf(tensors[0]!);
  const labels = tensors.map((t, k) => {
    if (rowsOf(t) !== rows) throw ferryError('FERRY_ERR_SHAPE_MISMATCH', { input: `${where}/${t.name}`, actual: `[${t.shape.join(',')}]`, expected: `[${rows}, ...]` });
    const width = rows === 0 ? 0 : t.data.length / rows;
    const v = values[k]!;
    return Array.from({ length: rows }, (_, r) => {
      if (width === 1) return v[r]!;
      let best = 0;
      for (let c = 1; c < width; c++) if (v[r * width + c]! > v[r * width + best]!) best = c;
      return best;
    });
  });
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const counts = new Map<number, number>();
    for (const l of labels) counts.set(l[r]!, (counts.get(l[r]!) ?? 0) + 1);
    let winner = Infinity;
    let most = 0;
    for (const [label, count] of counts) if (count > most || (count === most && label < winner)) [winner, most] = [label, count];
    out[r] = winner;
  }
  return { name, datatype: 'INT64', shape: [rows], data: fromNumbers(out, 'INT64') };
}

/** The metadata a combiner answers with, for validation at load; throws when its inputs cannot combine. */
export function combinedMetadata(method: Method, inputs: readonly TensorMetadata[], name: string, where: string): TensorMetadata {
  const first = inputs[0]!;
  if (method === 'majority_vote') return { name, datatype: 'INT64', shape: [-1] };
  for (const t of inputs) {
    if (t.datatype === 'BYTES') throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: where.split('/')[0]!, node: where.split('/')[1] ?? where, detail: `${method} needs numbers; '${t.name}' is BYTES` });
  }
  if (method === 'concat') {
    const widths = inputs.map((t) => (t.shape.length < 2 ? 1 : t.shape.slice(1).reduce((a, b) => (a < 0 || b < 0 ? -1 : a * b), 1)));
    const width = widths.some((w) => w < 0) ? -1 : widths.reduce((a, b) => a + b, 0);
    return { name, datatype: inputs.every((t) => t.datatype === first.datatype) ? numericOut(first.datatype) : 'FP64', shape: [-1, width] };
  }
  for (const t of inputs.slice(1)) {
    const same = t.shape.length === first.shape.length && t.shape.every((d, i) => d === -1 || first.shape[i] === -1 || d === first.shape[i]);
    if (!same) {
      throw ferryError('FERRY_ERR_GRAPH_INVALID', {
        graph: where.split('/')[0]!, node: where.split('/')[1] ?? where,
        detail: `${method} needs one shape; '${t.name}' is [${t.shape.join(',')}], '${first.name}' is [${first.shape.join(',')}]`,
      });
    }
  }
  return { name, datatype: method === 'max' ? numericOut(first.datatype) : floatOut(first.datatype), shape: first.shape };
}
