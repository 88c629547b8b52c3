import { ferryError } from '../errors/index.ts';
import type { BatchingPolicy, DefaultOutput } from './types.ts';

/** A model's `batching:` settings as written in ferry.yaml / model.yaml (the config layer's schema owns parsing). */
export interface BatchingSettings {
  readonly policy?: 'off' | 'dynamic' | 'adaptive';
  readonly max_batch_size?: number;
  readonly max_queue_delay_us?: number;
  readonly preferred_batch_sizes?: readonly number[];
  readonly slo_ms?: number;
  readonly max_queue?: number;
}

export const DEFAULT_MAX_QUEUE = 1024;
export const DEFAULT_MAX_QUEUE_DELAY_US = 500;

/**
 * Settings + what the runtime says about batching → a complete policy. Defaults: `adaptive` when the runtime
 * batches (maxBatchSize > 0), `off` otherwise; a queue of DEFAULT_MAX_QUEUE requests.
 */
export function resolveBatchingPolicy(settings: BatchingSettings, instanceMaxRows: number, defaultOutput?: DefaultOutput): BatchingPolicy {
  const maxQueue = positiveInteger(settings.max_queue ?? DEFAULT_MAX_QUEUE, 'max_queue');
  const common = defaultOutput === undefined ? { maxQueue } : { maxQueue, defaultOutput };
  const kind = settings.policy ?? (instanceMaxRows > 0 ? 'adaptive' : 'off');
  if (kind === 'off') return { kind, ...common };
  const maxBatchSize = settings.max_batch_size === undefined ? undefined : positiveInteger(settings.max_batch_size, 'max_batch_size');
  if (kind === 'adaptive') {
    const sloMs = settings.slo_ms === undefined ? undefined : positiveNumber(settings.slo_ms, 'slo_ms');
    return { kind, ...common, ...(sloMs === undefined ? {} : { sloMs }), ...(maxBatchSize === undefined ? {} : { maxBatchSize }) };
  }
  if (kind !== 'dynamic') throw invalid('policy', `must be off, dynamic or adaptive, got '${String(kind)}'`);
  const preferredBatchSizes = (settings.preferred_batch_sizes ?? []).map((size) => positiveInteger(size, 'preferred_batch_sizes'));
  const delay = settings.max_queue_delay_us ?? DEFAULT_MAX_QUEUE_DELAY_US;
  if (!Number.isFinite(delay) || delay < 0) throw invalid('max_queue_delay_us', `must be a number ≥ 0, got ${delay}`);
  return { kind, ...common, maxBatchSize: maxBatchSize ?? Math.max(instanceMaxRows, 1), maxQueueDelayUs: delay, preferredBatchSizes };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalid(name, `must be a positive integer, got ${value}`);
  return value;
}

function positiveNumber(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(name, `must be a positive number, got ${value}`);
  return value;
}

function invalid(name: string, detail: string): Error {
  return ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `batching.${name} ${detail}` });
}
