import type { InferRequest, InferResponse } from '../tensor/index.ts';
import type { InferContext, ModelMetadata } from './views.ts';

/** Feedback on an answer: which request it was (or the route it took), its reward and, when known, the truth. */
export interface Feedback {
  readonly requestId?: string | undefined;
  readonly reward: number;
  readonly truth?: unknown;
  /** router → arm (name or index), as the answer carried it (`parameters.ferry_route`, Seldon's `meta.routing`). */
  readonly routing?: Readonly<Record<string, string | number>> | undefined;
}

/**
 * Inference graphs as the data plane sees them: models under their own names. graph/ implements it; the data
 * plane asks it first, so every protocol serves a graph as it serves a model.
 */
export interface GraphHost {
  has(name: string): boolean;
  names(): readonly string[];
  infer(name: string, request: InferRequest, ctx: InferContext): Promise<InferResponse>;
  metadata(name: string): ModelMetadata;
  /** Why the graph cannot answer now (a required node is not ready), or undefined when it can. */
  unavailable(name: string): string | undefined;
  /** Why a graph that answers serves an older definition than its deployment's (the new one failed), else undefined. */
  staleReason(name: string): string | undefined;
  feedback(name: string, feedback: Feedback): Promise<{ readonly routing: Readonly<Record<string, string>> }>;
  /** A route (router → arm name) as arm indices, as Seldon's gRPC `meta.routing` carries it; unknown ones are left out. */
  armIndices(name: string, route: Readonly<Record<string, string>>): Record<string, number>;
}
