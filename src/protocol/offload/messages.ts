import type { ErrorCode, ErrorParams } from '../../errors/index.ts';
import type { DecodeKind } from './decode-jobs.ts';
import type { WireRequest } from './transfer.ts';

/** A body for a decode thread: its bytes (transferred) and the decoder's arguments. */
export interface DecodeTask {
  readonly id: number;
  readonly kind: DecodeKind;
  readonly body: Uint8Array;
  readonly args: unknown;
}

/** The decoded result (its request packed), a catalogue error, or any other failure as text. */
export type DecodeReply =
  | { readonly id: number; readonly result: { readonly request?: WireRequest } & Record<string, unknown> }
  | { readonly id: number; readonly ferry: { readonly code: ErrorCode; readonly params: ErrorParams } }
  | { readonly id: number; readonly failure: string };
