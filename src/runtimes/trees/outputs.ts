import type { Tensor, TensorMetadata } from '../../tensor/index.ts';
import type { ExecuteResult } from '../runtime.ts';

/**
 * What a tree model answers. Regressors (and rankers, survival models, raw margins) give `predict`, FP64 [-1]
 * or [-1, T] for T targets. Classifiers give `probabilities`, FP64 [-1, K] (or [-1, T, K] for T binary
 * targets), and `label`, INT64 [-1] (or [-1, T]): the class index.
 */
export type OutputHead =
  | { readonly kind: 'regression'; readonly targets: number }
  | { readonly kind: 'classification'; readonly targets: number; readonly classes: number };

export const PREDICT = 'predict';
export const PROBABILITIES = 'probabilities';
export const LABEL = 'label';

export function outputMetadata(head: OutputHead): TensorMetadata[] {
  if (head.kind === 'regression') {
    return [{ name: PREDICT, datatype: 'FP64', shape: head.targets === 1 ? [-1] : [-1, head.targets] }];
  }
  const single = head.targets === 1;
  return [
    { name: PROBABILITIES, datatype: 'FP64', shape: single ? [-1, head.classes] : [-1, head.targets, head.classes] },
    { name: LABEL, datatype: 'INT64', shape: single ? [-1] : [-1, head.targets] },
  ];
}

/** Values per row: targets for a regressor, targets × classes probabilities for a classifier. */
export function valuesPerRow(head: OutputHead): number {
  return head.kind === 'regression' ? head.targets : head.targets * head.classes;
}

/**
 * Full-batch output tensors from row-major `values`. A binary label is `p(1) > 0.5` (what xgboost and lightgbm's
 * sklearn wrappers answer); a multiclass label is the first index of the largest probability.
 */
export function outputTensors(head: OutputHead, values: Float64Array, rows: number): Tensor[] {
  const [meta, labelMeta] = outputMetadata(head);
  if (head.kind === 'regression') return [{ ...meta!, shape: concreteShape(meta!.shape, rows), data: values }];
  const labels = new BigInt64Array(rows * head.targets);
  const k = head.classes;
  for (let i = 0; i < labels.length; i++) {
    const base = i * k;
    let best = 0;
    if (k === 2) best = values[base + 1]! > 0.5 ? 1 : 0;
    else for (let c = 1; c < k; c++) if (values[base + c]! > values[base + best]!) best = c;
    labels[i] = BigInt(best);
  }
  return [
    { ...meta!, shape: concreteShape(meta!.shape, rows), data: values },
    { ...labelMeta!, shape: concreteShape(labelMeta!.shape, rows), data: labels },
  ];
}

/** Splits full-batch tensors back into one result per request, in order. */
export function splitByRequest(tensors: readonly Tensor[], rowsPerRequest: readonly number[]): ExecuteResult[] {
  if (rowsPerRequest.length === 1) return [{ outputs: tensors }];
  const results: ExecuteResult[] = [];
  let start = 0;
  for (const rows of rowsPerRequest) {
    results.push({
      outputs: tensors.map((t) => {
        const perRow = t.shape.slice(1).reduce((a, b) => a * b, 1);
        return { ...t, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(start * perRow, (start + rows) * perRow) as Tensor['data'] };
      }),
    });
    start += rows;
  }
  return results;
}

function concreteShape(shape: readonly number[], rows: number): number[] {
  return [rows, ...shape.slice(1)];
}
