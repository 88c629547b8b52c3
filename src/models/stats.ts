/** Per model version counters in the shape of Triton's statistics extension (durations in nanoseconds). */
export interface Duration {
  count: number;
  ns: number;
}

export interface VersionStatistics {
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  success: Duration;
  fail: Duration;
  queue: Duration;
  computeInfer: Duration;
  batches: Map<number, Duration>;
}

export function newStatistics(): VersionStatistics {
  return {
    lastInference: 0, inferenceCount: 0, executionCount: 0,
    success: { count: 0, ns: 0 }, fail: { count: 0, ns: 0 }, queue: { count: 0, ns: 0 }, computeInfer: { count: 0, ns: 0 },
    batches: new Map(),
  };
}

export function addDuration(target: Duration, ms: number, count = 1): void {
  target.count += count;
  target.ns += Math.round(ms * 1e6);
}

/** The executor's view of statistics: what one batch cost. */
export interface ExecutionRecorder {
  recordBatch(requests: number, queueWaitMs: readonly number[], computeMs: number): void;
}

export function recorderFor(stats: VersionStatistics): ExecutionRecorder {
  return {
    recordBatch(requests, queueWaitMs, computeMs) {
      stats.executionCount += 1;
      for (const wait of queueWaitMs) addDuration(stats.queue, wait);
      addDuration(stats.computeInfer, computeMs, requests);
      const perSize = stats.batches.get(requests) ?? { count: 0, ns: 0 };
      addDuration(perSize, computeMs);
      stats.batches.set(requests, perSize);
    },
  };
}
