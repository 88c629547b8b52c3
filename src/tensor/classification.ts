import { ferryError } from '../errors/index.ts';
import { isFloatType, type Datatype } from './datatype.ts';
import { bfloat16BitsToFloat, halfBitsToFloat } from './half.ts';
import type { Tensor } from './tensor.ts';

const encoder = new TextEncoder();

/**
 * Triton's classification extension: an output's top `count` classes as BYTES elements "value:index[:label]",
 * highest value first (equal values by lower index). With `perRow` (the output has a batch dimension) each row of
 * dimension 0 is ranked on its own and the answer is [rows, k]; otherwise the whole tensor is one ranking, [k].
 * k is `count`, or the number of classes when there are fewer. Values print as Triton's std::to_string does:
 * floats with six decimals, integers as they are. `labels[i]` names class i; beyond the labels, no label.
 */
export function classify(tensor: Tensor, count: number, labels: readonly string[] | undefined, perRow: boolean): Tensor {
  if (tensor.datatype === 'BYTES' || tensor.datatype === 'BOOL') {
    throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: 'classification', detail: `output '${tensor.name}' is ${tensor.datatype}; classes are ranked from numbers` });
  }
  const total = tensor.data.length;
  const rows = perRow && tensor.shape.length >= 2 ? tensor.shape[0]! : 1;
  const classes = rows === 0 ? 0 : total / rows;
  const k = Math.min(count, classes);
  const value = reader(tensor.datatype, tensor.data as ArrayLike<number | bigint>);
  const text = (i: number) => (isFloatType(tensor.datatype) ? Number(value(i)).toFixed(6) : String(value(i)));
  const out: Uint8Array[] = [];
  const order = Array.from({ length: classes }, (_, c) => c);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const ranked = order.slice().sort((a, b) => compare(value(base + b), value(base + a)) || a - b);
    for (let j = 0; j < k; j++) {
      const c = ranked[j]!;
      const label = labels?.[c];
      out.push(encoder.encode(`${text(base + c)}:${c}${label ? `:${label}` : ''}`));
    }
  }
  return { name: tensor.name, datatype: 'BYTES', shape: rows === 1 && !(perRow && tensor.shape.length >= 2) ? [k] : [rows, k], data: out };
}

function reader(datatype: Datatype, data: ArrayLike<number | bigint>): (i: number) => number | bigint {
  if (datatype === 'FP16') return (i) => halfBitsToFloat(data[i] as number);
  if (datatype === 'BF16') return (i) => bfloat16BitsToFloat(data[i] as number);
  return (i) => data[i]!;
}

/** NaN ranks last; bigints compare exactly. */
function compare(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && Number.isNaN(a)) return typeof b === 'number' && Number.isNaN(b) ? 0 : -1;
  if (typeof b === 'number' && Number.isNaN(b)) return 1;
  return a > b ? 1 : a < b ? -1 : 0;
}
