import { describe, expect, it } from 'vitest';
import { planBatch, retryAfterSeconds, rowCap } from './policy.ts';
import type { AdaptivePolicy, DynamicPolicy, OffPolicy } from './types.ts';

const off: OffPolicy = { kind: 'off', maxQueue: 10 };
const adaptive: AdaptivePolicy = { kind: 'adaptive', maxQueue: 10 };
const dynamic: DynamicPolicy = { kind: 'dynamic', maxQueue: 10, maxBatchSize: 16, maxQueueDelayUs: 2000, preferredBatchSizes: [4, 8] };
const facts = (availableRows: number, waitedMs = 0, flush = false) => ({ availableRows, waitedMs, flush });

describe('rowCap', () => {
  it('is 0 (one request per execute) for off and for models without a batch dimension', () => {
    expect(rowCap(off, 64, 1)).toBe(0);
    expect(rowCap(adaptive, 0, 1)).toBe(0);
    expect(rowCap(dynamic, 0, 1)).toBe(0);
  });
  it('never exceeds the instance maxBatchSize', () => {
    expect(rowCap(dynamic, 8, 1)).toBe(8);
    expect(rowCap(dynamic, 64, 1)).toBe(16);
    expect(rowCap({ ...adaptive, maxBatchSize: 32 }, 16, 1)).toBe(16);
  });
  it('adaptive without an objective takes the whole instance limit; with one, the AIMD limit', () => {
    expect(rowCap(adaptive, 64, 3)).toBe(64);
    expect(rowCap({ ...adaptive, sloMs: 5 }, 64, 3)).toBe(3);
    expect(rowCap({ ...adaptive, sloMs: 5 }, 64, 100)).toBe(64);
  });
});

describe('planBatch', () => {
  it('off and adaptive run at once whatever is queued (zero added wait)', () => {
    expect(planBatch(off, 0, facts(1))).toEqual({ run: true, rows: 0 });
    expect(planBatch(adaptive, 64, facts(1))).toEqual({ run: true, rows: 64 });
    expect(planBatch({ ...adaptive, sloMs: 3 }, 5, facts(1))).toEqual({ run: true, rows: 5 });
  });
  it('dynamic runs a full batch at once', () => {
    expect(planBatch(dynamic, 16, facts(16))).toEqual({ run: true, rows: 16 });
  });
  it('dynamic runs the largest preferred size that the queue fills', () => {
    expect(planBatch(dynamic, 16, facts(4))).toEqual({ run: true, rows: 4 });
    expect(planBatch(dynamic, 16, facts(11))).toEqual({ run: true, rows: 8 });
  });
  it('dynamic waits for the rest of the delay when no preferred size is filled', () => {
    expect(planBatch(dynamic, 16, facts(3, 0.5))).toEqual({ run: false, waitMs: 1.5 });
    expect(planBatch({ ...dynamic, preferredBatchSizes: [] }, 16, facts(9, 1))).toEqual({ run: false, waitMs: 1 });
  });
  it('dynamic runs what it has once the delay is over, or when flushing', () => {
    expect(planBatch(dynamic, 16, facts(3, 2))).toEqual({ run: true, rows: 16 });
    expect(planBatch(dynamic, 16, facts(3, 0, true))).toEqual({ run: true, rows: 16 });
  });
  it('dynamic ignores preferred sizes above the cap', () => {
    expect(planBatch({ ...dynamic, preferredBatchSizes: [32] }, 16, facts(12, 0))).toEqual({ run: false, waitMs: 2 });
  });
});

describe('retryAfterSeconds', () => {
  it('estimates the time to drain the queue, within [1, 60] s', () => {
    expect(retryAfterSeconds(100, 50, 1)).toBe(5);
    expect(retryAfterSeconds(100, 50, 2)).toBe(3);
    expect(retryAfterSeconds(10, 0, 1)).toBe(1);
    expect(retryAfterSeconds(1_000_000, 100, 1)).toBe(60);
  });
});
