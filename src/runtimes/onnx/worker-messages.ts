import type { Tensor } from '../../tensor/index.ts';
import type { SessionSettings } from './session.ts';

/** Messages between the worker session and its thread. */
export interface WorkerStart {
  readonly file: string;
  readonly settings: SessionSettings;
}

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly inputs: readonly Tensor[];
  readonly outputNames: readonly string[];
}

export type RunReply =
  | { readonly kind: 'result'; readonly id: number; readonly outputs: readonly Tensor[]; readonly error?: undefined }
  | { readonly kind: 'result'; readonly id: number; readonly error: string; readonly outputs?: undefined };

/** Buffers that can move instead of being copied: numeric tensors that own their whole buffer. */
export function transferList(tensors: readonly Tensor[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of tensors) {
    if (Array.isArray(t.data)) continue;
    const buffer = t.data.buffer;
    if (buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === buffer.byteLength && !list.includes(buffer)) list.push(buffer);
  }
  return list;
}

/** A copy of each numeric tensor into a buffer of its own, so it can be transferred, not cloned with its neighbours. */
export function compactForTransfer(tensors: readonly Tensor[]): Tensor[] {
  return tensors.map((t) => (Array.isArray(t.data) ? t : { ...t, data: t.data.slice() as Tensor['data'] }));
}
