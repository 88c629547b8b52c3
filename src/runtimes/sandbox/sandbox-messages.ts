import type { ErrorCode, ErrorParams } from '../../errors/index.ts';
import type { ModelSpec } from '../runtime.ts';

/** The runtimes the sandbox worker can load, by the name they have in model.yaml `runtime:`. */
export const SANDBOXED_RUNTIMES = ['xgboost', 'lightgbm', 'sklearn', 'pmml'] as const;
export type SandboxedRuntime = (typeof SANDBOXED_RUNTIMES)[number];

export function isSandboxedRuntime(name: string): name is SandboxedRuntime {
  return (SANDBOXED_RUNTIMES as readonly string[]).includes(name);
}

export interface CheckRequest {
  readonly id: number;
  readonly runtime: SandboxedRuntime;
  readonly spec: ModelSpec;
}

export type CheckReply =
  | { readonly id: number; readonly ok: true }
  /** The load failed with a catalogue error: the main thread throws the same one. */
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly params: ErrorParams }
  /** The load failed with another error (a runtime bug, a stack overflow): its message. */
  | { readonly id: number; readonly ok: false; readonly message: string };
