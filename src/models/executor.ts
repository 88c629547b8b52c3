import type { FerryError } from '../errors/index.ts';
import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ModelConfig } from '../repository/index.ts';
import type { ExecuteResult, ModelInstance } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import type { ExecutionRecorder } from './stats.ts';

export interface EnqueueOptions {
  /** Epoch milliseconds after which the request must not start. */
  readonly deadline?: number;
  readonly signal?: AbortSignal | undefined;
  /** The request's trace: the cache and the queue record their spans in it. */
  readonly trace?: RequestTrace | undefined;
}

/** What stands between the data plane and a ModelInstance: a queue that batches and keeps execute() serial. */
export interface Executor {
  enqueue(request: InferRequest, options: EnqueueOptions): Promise<ExecuteResult>;
  /** Refuses new work, then resolves once everything queued or running has finished. */
  drain(): Promise<void>;
  /** The error a request would be refused with now (queue full), counted as shed; undefined when it would queue. */
  refusal(): FerryError | undefined;
}

export interface ExecutorContext {
  readonly model: string;
  readonly version: string;
  readonly config: ModelConfig;
  readonly recorder: ExecutionRecorder;
}

/** Builds the queue for one model version over its instances (`instances: N` in model.yaml loads N). */
export type ExecutorFactory = (instances: readonly ModelInstance[], context: ExecutorContext) => Executor;
