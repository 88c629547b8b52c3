import type { FerryError } from '../errors/index.ts';
import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ExecuteResult } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';

/** What a request that missed its deadline answers instead of an error (the policy's `default_output`). */
export type DefaultOutput = ExecuteResult | ((request: InferRequest) => ExecuteResult);

interface CommonPolicy {
  /** Most requests that may wait in the queue (`max_queue`); one more is shed with FERRY_ERR_QUEUE_FULL. */
  readonly maxQueue: number;
  /** Answer for a request whose deadline passed before its answer was ready; absent → FERRY_ERR_DEADLINE_EXCEEDED. */
  readonly defaultOutput?: DefaultOutput;
}

/** One request per execute(), in arrival order. */
export interface OffPolicy extends CommonPolicy {
  readonly kind: 'off';
}

/** Triton-style dynamic batching: wait up to `maxQueueDelayUs` to fill a preferred size. */
export interface DynamicPolicy extends CommonPolicy {
  readonly kind: 'dynamic';
  /** Rows per execute (`max_batch_size`); capped by the instance's own maxBatchSize. */
  readonly maxBatchSize: number;
  /** Longest the oldest queued request waits for a batch to fill (`max_queue_delay_us`). */
  readonly maxQueueDelayUs: number;
  /** Row counts worth waiting for (`preferred_batch_sizes`); empty → wait for maxBatchSize. */
  readonly preferredBatchSizes: readonly number[];
}

/**
 * Zero added wait: when an instance is free it takes what is queued. With `sloMs` the row limit tunes itself by
 * additive increase / multiplicative decrease (Clipper) so that execution latency stays under the objective.
 */
export interface AdaptivePolicy extends CommonPolicy {
  readonly kind: 'adaptive';
  /** Execution-latency objective in ms (`slo_ms`); absent → the limit is the instance's maxBatchSize. */
  readonly sloMs?: number;
  /** Upper bound on rows per execute (`max_batch_size`); capped by the instance's maxBatchSize. */
  readonly maxBatchSize?: number;
  /** Rows added to the limit after a full batch that met the objective (default 1). */
  readonly aimdIncrease?: number;
  /** Factor the limit is multiplied by after a batch that missed the objective (default 0.9, as Clipper). */
  readonly aimdDecrease?: number;
}

export type BatchingPolicy = OffPolicy | DynamicPolicy | AdaptivePolicy;

/** Metric hooks; the data plane wires them to prom-client. Every hook is optional and must not throw. */
export interface SchedulerHooks {
  /** One execute() finished: requests in it, rows in it, each request's queue wait, and execute() time. */
  onBatch?(size: number, rows: number, queueWaitMs: readonly number[], execMs: number): void;
  /** A request was refused because the queue was full. */
  onShed?(): void;
  /** A request's deadline passed while it waited or while its batch ran (answered with an error or the default output). */
  onExpired?(): void;
  /** The adaptive row limit changed. */
  onLimit?(limit: number): void;
}

export interface EnqueueOptions {
  /** Epoch ms after which the request is no longer worth running. */
  readonly deadline?: number;
  /** Aborting removes a queued request (FERRY_ERR_CANCELLED). */
  readonly signal?: AbortSignal | undefined;
  /** The request's trace: its queue wait and the batch it ran in are recorded there. */
  readonly trace?: RequestTrace | undefined;
}

export interface SchedulerStats {
  /** Requests waiting in the queue. */
  readonly queued: number;
  /** Executions running now (at most the number of instances). */
  readonly inFlight: number;
  /** Current row limit per execute (the adaptive limit, or the fixed cap; 0 = one request per execute). */
  readonly limit: number;
  readonly draining: boolean;
  readonly counts: {
    readonly enqueued: number;
    readonly completed: number;
    readonly failed: number;
    readonly shed: number;
    readonly expired: number;
    readonly cancelled: number;
    readonly batches: number;
  };
}

export interface ModelScheduler {
  /** Queues a validated request; resolves with its own result (outputs sliced out of the merged batch). */
  enqueue(request: InferRequest, opts?: EnqueueOptions): Promise<ExecuteResult>;
  stats(): SchedulerStats;
  /**
   * The refusal a request would get now because the queue is full (counted as shed), or undefined when it would
   * be queued. Lets an adapter answer 429 before it reads and decodes a body it would throw away.
   */
  refusal(): FerryError | undefined;
  /** Refuses new requests (FERRY_ERR_SHUTTING_DOWN) and resolves once everything queued has settled. */
  drain(): Promise<void>;
}
