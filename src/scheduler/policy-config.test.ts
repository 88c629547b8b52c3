import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUEUE, resolveBatchingPolicy } from './policy-config.ts';

describe('resolveBatchingPolicy', () => {
  it('defaults to adaptive when the runtime batches and to off when it does not', () => {
    expect(resolveBatchingPolicy({}, 64)).toEqual({ kind: 'adaptive', maxQueue: DEFAULT_MAX_QUEUE });
    expect(resolveBatchingPolicy({}, 0)).toEqual({ kind: 'off', maxQueue: DEFAULT_MAX_QUEUE });
  });
  it('maps the snake_case settings', () => {
    expect(resolveBatchingPolicy({ policy: 'adaptive', slo_ms: 20, max_queue: 50, max_batch_size: 32 }, 64)).toEqual({
      kind: 'adaptive', maxQueue: 50, sloMs: 20, maxBatchSize: 32,
    });
    expect(resolveBatchingPolicy({ policy: 'dynamic', max_queue_delay_us: 100, preferred_batch_sizes: [4, 8] }, 16)).toEqual({
      kind: 'dynamic', maxQueue: DEFAULT_MAX_QUEUE, maxBatchSize: 16, maxQueueDelayUs: 100, preferredBatchSizes: [4, 8],
    });
  });
  it('refuses nonsense with a catalogue error naming the setting', () => {
    expect(() => resolveBatchingPolicy({ max_queue: 0 }, 8)).toThrow(/batching\.max_queue must be a positive integer/);
    expect(() => resolveBatchingPolicy({ slo_ms: -1 }, 8)).toThrow(/batching\.slo_ms/);
    expect(() => resolveBatchingPolicy({ policy: 'dynamic', preferred_batch_sizes: [2.5] }, 8)).toThrow(/preferred_batch_sizes/);
    expect(() => resolveBatchingPolicy({ policy: 'fifo' as 'off' }, 8)).toThrow(/off, dynamic or adaptive/);
  });
});
