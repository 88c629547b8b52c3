/**
 * scheduler/ — per-model-version queue, request merging (adaptive/dynamic batching), concurrency, deadlines and
 * load shedding. It sits under the data plane and above runtimes: the data plane validates and decodes a request,
 * checks the cache, then `enqueue`s it here; this module decides when and with whom it runs.
 *
 * Wiring (data plane / model manager):
 *
 *   const policy = resolveBatchingPolicy(modelConfig.batching ?? {}, instances[0].maxBatchSize);
 *   const scheduler = createScheduler(instances, policy, {
 *     onBatch: (size, rows, queueWaitMs, execMs) => { ...histograms... },
 *     onShed: () => shed.inc(), onExpired: () => expired.inc(), onLimit: (limit) => limitGauge.set(limit),
 *   }, { model: name, version });
 *   const result = await scheduler.enqueue(request, { deadline: Date.now() + timeoutMs, signal });
 *   // on unload: await scheduler.drain(); then unload each instance.
 *
 * Contract:
 * - One scheduler per loaded model version. `instances` is one ModelInstance or an array of N distinct ones
 *   (the `instances: N` setting: the model manager loads N instances; the scheduler keeps at most one execute()
 *   in flight per instance, so up to N overall). Passing the same instance twice is refused.
 * - execute() is always called with exactly one InferRequest: the request as it came when it runs alone (zero
 *   copy), or the requests merged along dimension 0 (same input names in order, datatypes, shapes beyond dim 0,
 *   and parameters; `binary_data_size` ignored). The merged request asks for the union of requested outputs; the
 *   data plane still applies each request's own output selection to the result it gets back.
 * - Results: outputs whose dim 0 equals the merged row count (and whose signature does not fix dim 0) are
 *   sliced per request as views; other outputs and the result parameters are shared by every request.
 * - Requests whose inputs disagree on dim 0, scalars, or requests with more rows than the row limit run alone.
 * - Errors are catalogue errors: FERRY_ERR_QUEUE_FULL (429, params.retry_after_s → Retry-After header),
 *   FERRY_ERR_DEADLINE_EXCEEDED (504, params.timeout_ms), FERRY_ERR_CANCELLED (499), FERRY_ERR_SHUTTING_DOWN (503
 *   after drain()), FERRY_ERR_EXECUTION_FAILED (500, every request of a failed batch); a FerryError thrown by the
 *   runtime passes through unchanged.
 * - A request whose deadline passes is answered at that moment (one timer for the earliest deadline), whether it
 *   is queued or its batch is running: not when the model frees up or the batch ends. A running batch goes on for
 *   its other requests; when none is left waiting, the runtime's abort signal fires. With `defaultOutput`, the
 *   request resolves with that result and `parameters.ferry_default_output = true` instead.
 * - Hooks are called synchronously on the request path: keep them to counter increments. A throwing hook is
 *   ignored.
 */
export { createScheduler, type SchedulerClock, type SchedulerOptions } from './scheduler.ts';
export { resolveBatchingPolicy, DEFAULT_MAX_QUEUE, DEFAULT_MAX_QUEUE_DELAY_US, type BatchingSettings } from './policy-config.ts';
export { planBatch, rowCap, retryAfterSeconds, type BatchPlan, type QueueFacts } from './policy.ts';
export { nextLimit, initialLimit, type AimdParams, type BatchObservation } from './aimd.ts';
export { mergeRequests } from './concat.ts';
export { splitResult } from './split.ts';
export { mergeKey, requestRows } from './merge-key.ts';
export type {
  AdaptivePolicy, BatchingPolicy, DefaultOutput, DynamicPolicy, EnqueueOptions, ModelScheduler, OffPolicy,
  SchedulerHooks, SchedulerStats,
} from './types.ts';
