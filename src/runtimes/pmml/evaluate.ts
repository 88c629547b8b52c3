import { ferryError } from '../../errors/index.ts';
import { readTabular, type Column, type InputLayout } from '../tabular.ts';
import type { InferRequest, Tensor } from '../../tensor/index.ts';
import type { PmmlPlan } from './document.ts';
import { UNSET, type RowContext, type Value } from './types.ts';
import { asNumber, isNumericType } from './values.ts';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Evaluates every row of one request and returns one tensor per plan output. */
/** Rows run on the calling thread in time slices of this length, yielding between them (large ensembles). */
const SLICE_MS = 2;

export async function evaluateRequest(plan: PmmlPlan, request: InferRequest, layout: InputLayout, ctx: RowContext, signal?: AbortSignal): Promise<Tensor[]> {
  const features = plan.inputs.map((i) => i.feature);
  const { rows, columns } = readTabular(request, features, layout);
  const numeric = plan.outputs.map((o) => isNumericType(o.dataType));
  const data = plan.outputs.map((_, i) => (numeric[i] ? new Float64Array(rows) : new Array<Uint8Array>(rows).fill(EMPTY)));
  const slots = ctx.slots;
  let sliceStarted = performance.now();
  for (let r = 0; r < rows; r++) {
    if ((r & 31) === 31 && performance.now() - sliceStarted > SLICE_MS) {
      // Let other requests through; execute() is never concurrent, so ctx stays ours across the pause.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw ferryError('FERRY_ERR_CANCELLED');
      sliceStarted = performance.now();
    }
    slots.fill(UNSET);
    ctx.row = r;
    for (let i = 0; i < plan.inputs.length; i++) {
      const input = plan.inputs[i]!;
      slots[input.slot] = input.treat(rawValue(columns[i]!, r), r);
    }
    for (let o = 0; o < plan.outputs.length; o++) {
      const value = plan.outputs[o]!.get(ctx);
      if (numeric[o]) (data[o] as Float64Array)[r] = toNumber(value);
      else (data[o] as Uint8Array[])[r] = value === null ? EMPTY : encoder.encode(String(value));
    }
  }
  return plan.outputs.map((o, i) => ({
    name: o.name,
    datatype: numeric[i] ? 'FP64' : 'BYTES',
    shape: [rows],
    data: data[i]!,
  }));
}

function rawValue(column: Column, row: number): Value {
  const v = column[row];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  return v;
}

function toNumber(value: Value): number {
  if (value === null) return NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return asNumber(value) ?? NaN;
}
