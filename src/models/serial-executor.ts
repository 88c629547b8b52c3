import { ferryError } from '../errors/index.ts';
import type { ExecuteResult, ModelInstance } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import type { EnqueueOptions, Executor, ExecutorContext } from './executor.ts';

interface Pending {
  readonly request: InferRequest;
  readonly options: EnqueueOptions;
  readonly enqueuedAt: number;
  resolve(result: ExecuteResult): void;
  reject(error: unknown): void;
}

/**
 * The simplest executor (for tests and debugging): a FIFO in front of the first instance, never calling execute() concurrently; whatever is
 * queued when the instance is free is handed over as one batch of requests (no merging of tensors).
 */
export function createSerialExecutor(instances: readonly ModelInstance[], context: ExecutorContext): Executor {
  const instance = instances[0]!;
  const queue: Pending[] = [];
  let running = false;
  let draining = false;
  let idle: (() => void) | undefined;

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, Math.max(1, instance.maxBatchSize || 1));
      const started = performance.now();
      const live = batch.filter((p) => admit(p, started));
      if (live.length === 0) continue;
      try {
        const results = await instance.execute(live.map((p) => p.request), new AbortController().signal);
        context.recorder.recordBatch(live.length, live.map((p) => started - p.enqueuedAt), performance.now() - started);
        live.forEach((p, i) => p.resolve(results[i]!));
      } catch (error) {
        for (const p of live) p.reject(error);
      }
    }
    running = false;
    idle?.();
  };

  const admit = (pending: Pending, now: number): boolean => {
    if (pending.options.signal?.aborted) {
      pending.reject(ferryError('FERRY_ERR_CANCELLED'));
      return false;
    }
    if (pending.options.deadline !== undefined && Date.now() > pending.options.deadline) {
      pending.reject(ferryError('FERRY_ERR_DEADLINE_EXCEEDED', { timeout_ms: Math.round(now - pending.enqueuedAt) }));
      return false;
    }
    return true;
  };

  return {
    enqueue(request, options) {
      if (draining) return Promise.reject(ferryError('FERRY_ERR_SHUTTING_DOWN'));
      return new Promise<ExecuteResult>((resolve, reject) => {
        queue.push({ request, options, enqueuedAt: performance.now(), resolve, reject });
        void pump();
      });
    },
    drain() {
      draining = true;
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle = resolve;
      });
    },
  };
}
