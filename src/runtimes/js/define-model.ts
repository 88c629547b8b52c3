import type { Tensor, TensorMetadata } from '../../tensor/index.ts';

/** What a JS model's predict returns per output: typed data (or plain numbers/strings) and, unless fixed, a shape. */
export interface ModelOutput {
  readonly data: Tensor['data'] | readonly number[] | readonly bigint[] | readonly string[] | readonly boolean[];
  readonly shape?: readonly number[];
}

/**
 * A model as JavaScript or TypeScript code (model.js, model.mjs or model.ts exporting it as default). Ferry runs it
 * on a worker thread, so a CPU-heavy predict does not hold up the server.
 */
export interface ModelDefinition {
  /** Inputs and outputs as the Open Inference Protocol describes them; -1 for a dynamic dimension. */
  readonly signature: { readonly inputs: readonly TensorMetadata[]; readonly outputs: readonly TensorMetadata[] };
  /** Called once on the worker with the version folder, before the first predict. */
  load?(path: string): void | Promise<void>;
  /** Inputs by name (validated against the signature) to outputs by name; rows of merged requests arrive together. */
  predict(inputs: Readonly<Record<string, Tensor>>): Record<string, ModelOutput> | Promise<Record<string, ModelOutput>>;
  /** The model's own readiness (a warm cache, a connection); without it the model is ready once loaded. */
  ready?(): boolean | Promise<boolean>;
}

/** Declares a JS/TS model: returns the definition unchanged, typed. `export default defineModel({ ... })`. */
export function defineModel<const T extends ModelDefinition>(definition: T): T {
  return definition;
}
