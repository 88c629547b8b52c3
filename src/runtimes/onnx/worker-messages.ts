import { copyInSlices, COPY_SLICE_BYTES, type Tensor } from '../../tensor/index.ts';
import type { SessionSettings } from './session.ts';

/** Messages between the worker session and its thread. */
export interface WorkerStart {
  readonly file: string;
  readonly settings: SessionSettings;
  /** The cancel board, on a SharedArrayBuffer: the thread reads it just before it starts a run. */
  readonly cancelled: Int32Array;
}

/** Slots of the cancel board; a run's slot is its id modulo this, far more than the runs a worker holds at once. */
export const CANCEL_SLOTS = 64;

/** What a cancelled run's slot holds: its id plus one (0 is no run), within an Int32. */
export const cancelMark = (id: number): number => (id % 0x7ffffffe) + 1;

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly inputs: readonly Tensor[];
  readonly outputNames: readonly string[];
}

export type RunReply =
  | { readonly kind: 'result'; readonly id: number; readonly outputs: readonly Tensor[]; readonly computeMs: number; readonly error?: undefined; readonly skipped?: undefined }
  | { readonly kind: 'result'; readonly id: number; readonly error: string; readonly outputs?: undefined; readonly skipped?: undefined }
  /** The run was cancelled before the thread got to it, and never ran. */
  | { readonly kind: 'result'; readonly id: number; readonly skipped: true; readonly outputs?: undefined; readonly error?: undefined };

/** The buffer of a numeric tensor alone on a plain ArrayBuffer, which postMessage can move instead of copying. */
function wholeBuffer(t: Tensor): ArrayBuffer | undefined {
  if (Array.isArray(t.data)) return undefined;
  const buffer = t.data.buffer;
  return buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === buffer.byteLength ? buffer : undefined;
}

/** Buffers that can move instead of being copied: numeric tensors that own their whole buffer. */
export function transferList(tensors: readonly Tensor[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of tensors) {
    const buffer = wholeBuffer(t);
    if (buffer !== undefined && !list.includes(buffer)) list.push(buffer);
  }
  return list;
}

/**
 * Each numeric tensor in a buffer of its own, so it can be transferred, not cloned with its neighbours: a copy,
 * unless the caller gave the buffers up (`movable`) and the tensor already owns its whole buffer. A large tensor
 * is copied in slices with turns of the event loop between them, not in one step as long as the tensor.
 */
export async function compactForTransfer(tensors: readonly Tensor[], movable = false): Promise<Tensor[]> {
  const compact: Tensor[] = [];
  for (const t of tensors) {
    if (Array.isArray(t.data) || (movable && wholeBuffer(t) !== undefined)) compact.push(t);
    else if (t.data.byteLength <= COPY_SLICE_BYTES) compact.push({ ...t, data: t.data.slice() as Tensor['data'] });
    else compact.push({ ...t, data: sameType(t.data, await copyInSlices(t.data)) });
  }
  return compact;
}

/** A typed array of `like`'s type over `bytes`. */
function sameType(like: Exclude<Tensor['data'], readonly Uint8Array[]>, bytes: Uint8Array<ArrayBuffer>): Tensor['data'] {
  const Type = like.constructor as new (buffer: ArrayBuffer, byteOffset: number, length: number) => Tensor['data'];
  return new Type(bytes.buffer, 0, like.length);
}
