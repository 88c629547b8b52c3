import { describe, expect, it } from 'vitest';
import { addDuration, newStatistics, recorderFor } from './stats.ts';

describe('version statistics', () => {
  it('start at zero', () => {
    expect(newStatistics()).toEqual({
      lastInference: 0, inferenceCount: 0, executionCount: 0,
      success: { count: 0, ns: 0 }, fail: { count: 0, ns: 0 }, queue: { count: 0, ns: 0 }, computeInfer: { count: 0, ns: 0 },
      batches: new Map(),
    });
  });

  it('add durations in whole nanoseconds, counting one by default', () => {
    const duration = { count: 0, ns: 0 };
    addDuration(duration, 1.5);
    expect(duration).toEqual({ count: 1, ns: 1_500_000 });
    addDuration(duration, 0.0000004, 3);
    expect(duration).toEqual({ count: 4, ns: 1_500_000 });
    addDuration(duration, 0.0000006);
    expect(duration).toEqual({ count: 5, ns: 1_500_001 });
  });

  it('record a batch as one execution, one queue wait per request, compute per request, and a count per batch size', () => {
    const stats = newStatistics();
    const recorder = recorderFor(stats);
    recorder.recordBatch(3, [1, 2, 3], 4);
    recorder.recordBatch(3, [0.5, 0.5, 0.5], 2);
    recorder.recordBatch(1, [10], 1);
    expect(stats.executionCount).toBe(3);
    expect(stats.queue).toEqual({ count: 7, ns: 17_500_000 });
    expect(stats.computeInfer).toEqual({ count: 7, ns: 7_000_000 });
    expect(stats.batches).toEqual(new Map([[3, { count: 2, ns: 6_000_000 }], [1, { count: 1, ns: 1_000_000 }]]));
    expect(stats.inferenceCount).toBe(0); // counted by the data plane, which knows the outcome
  });
});
