import type { Tensor, TensorMetadata } from '../../tensor/index.ts';
import type { ModelOutput } from './define-model.ts';

/** What the model worker is started with: the module to import and the version folder. */
export interface JsWorkerStart {
  readonly file: string;
  readonly dir: string;
}

export type JsRequest =
  | { readonly kind: 'predict'; readonly id: number; readonly inputs: readonly Tensor[] }
  | { readonly kind: 'ping' | 'ready'; readonly id: number };

export type JsReply =
  | { readonly kind: 'loaded'; readonly signature: { inputs: TensorMetadata[]; outputs: TensorMetadata[] }; readonly hasReady: boolean }
  | { readonly kind: 'load-error' | 'error'; readonly id?: number; readonly type: string; readonly message: string; readonly stack: string }
  | { readonly kind: 'result'; readonly id: number; readonly outputs: Record<string, ModelOutput>; readonly computeMs: number }
  | { readonly kind: 'pong'; readonly id: number }
  | { readonly kind: 'ready'; readonly id: number; readonly ready: boolean };
