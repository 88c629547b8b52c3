import { cacheKey, createPredictionCache, type PredictionCache } from './cache/index.ts';
import { defaultOutputFor, type Executor, type ExecutorFactory } from './models/index.ts';
import type { Logger } from './observe/logger.ts';
import type { FerryMetrics } from './observe/metrics.ts';
import type { ExecuteResult } from './runtimes/runtime.ts';
import { createScheduler, resolveBatchingPolicy } from './scheduler/index.ts';

/**
 * Composition-root wiring of each model version's executor: the scheduler (batching, deadlines, shedding) over
 * the version's instances, its metrics, and — for models that opt in with `cache:` — the prediction cache in
 * front of it. Memory caches belong to one version (their byte budget is the model's `cache.max_bytes`); a Redis
 * cache (`cache.url`) is one client shared by every model and replica.
 */
export function servingExecutorFactory(metrics: FerryMetrics, logger: Logger, cacheUrl: string | undefined): { factory: ExecutorFactory; close(): Promise<void> } {
  const { serving } = metrics;
  const cacheHooks = { onEviction: () => serving.cacheEvents.inc({ event: 'eviction' }), onError: () => serving.cacheEvents.inc({ event: 'error' }) };
  let shared: PredictionCache | undefined;
  const sharedCache = () => (shared ??= createPredictionCache({ backend: cacheUrl!, hooks: cacheHooks, logger: logger.child({ component: 'cache' }) }));

  const factory: ExecutorFactory = (instances, { model, version, config, recorder }) => {
    const labels = { model, version };
    const defaultOutput = config.default_output ? defaultOutputFor(model, instances[0]!.signature, config.default_output) : undefined;
    const batching = config.batching;
    const policy = resolveBatchingPolicy(
      {
        policy: batching?.mode,
        max_batch_size: batching?.max_batch_size,
        max_queue_delay_us: batching?.max_queue_delay_us,
        preferred_batch_sizes: batching?.preferred_batch_sizes,
        slo_ms: batching?.slo_ms ?? config.slo_ms,
        max_queue: config.max_queue,
      },
      instances[0]!.maxBatchSize,
      defaultOutput,
    );
    // Series bound once per version: the histograms (TallyHistogram) then observe without touching labels; the
    // prom-client counters still validate and hash them on each inc(), which only shed and expired requests pay.
    const batchRequests = serving.batchRequests.labels(labels);
    const batchRows = serving.batchRows.labels(labels);
    const queueWait = serving.queueWait.labels(labels);
    const execution = serving.execution.labels(labels);
    const shed = serving.shed.labels(labels);
    const expired = serving.expired.labels(labels);
    const scheduler = createScheduler(instances, policy, {
      onBatch(size, rows, queueWaitMs, execMs) {
        batchRequests.observe(size);
        batchRows.observe(rows);
        for (const wait of queueWaitMs) queueWait.observe(wait / 1000);
        execution.observe(execMs / 1000);
        recorder.recordBatch(size, queueWaitMs, execMs);
      },
      onShed: () => shed.inc(),
      onExpired: () => expired.inc(),
    }, { model, version });
    const unwatch = serving.watchQueue(model, version, { queued: () => scheduler.stats().queued, limit: () => scheduler.stats().limit });
    const queued: Executor = {
      enqueue: (request, options) => scheduler.enqueue(request, options),
      refusal: () => scheduler.refusal(),
      async drain() {
        await scheduler.drain();
        unwatch();
      },
    };
    if (!config.cache) return queued;
    const ttl = config.cache.ttl_s ?? 0;
    const cache = cacheUrl ? sharedCache() : createPredictionCache({ backend: 'memory', hooks: cacheHooks, ...(config.cache.max_bytes ? { maxBytes: config.cache.max_bytes } : {}) });
    const hits = serving.cache.labels({ ...labels, result: 'hit' });
    const misses = serving.cache.labels({ ...labels, result: 'miss' });
    return {
      async enqueue(request, options) {
        const lookedUp = options.trace === undefined ? 0 : performance.now();
        const key = cacheKey(model, version, request);
        const hit = await cache.get(key);
        if (options.trace !== undefined) options.trace.record('cache', lookedUp, performance.now(), { 'ferry.cache.hit': hit !== undefined });
        if (hit) {
          hits.inc();
          return { ...hit, parameters: { ...hit.parameters, ferry_cache: 'hit' } } satisfies ExecuteResult;
        }
        misses.inc();
        const result = await queued.enqueue(request, options);
        if (result.parameters?.['ferry_default_output'] !== true) void cache.set(key, result, ttl);
        return result;
      },
      refusal: () => queued.refusal(),
      async drain() {
        await queued.drain();
        if (!cacheUrl) await cache.close();
      },
    };
  };
  return { factory, close: async () => shared?.close() };
}
