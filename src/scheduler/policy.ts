import type { BatchingPolicy } from './types.ts';

/**
 * Batching decisions as pure functions of the queue's state (STYLE.md 7): the scheduler gathers the facts,
 * these decide, and the tests call them without a model.
 */

/** What to do when an instance is free and the queue is not empty. */
export type BatchPlan =
  | { readonly run: true; /** Rows to take: the head request always, then compatible ones while they fit. */ readonly rows: number }
  | { readonly run: false; /** Wait this long (ms) for more rows, then decide again. */ readonly waitMs: number };

export interface QueueFacts {
  /** Rows queued that can merge with the head request (head included), counted up to the cap. */
  readonly availableRows: number;
  /** How long the head (oldest) request has waited, in ms. */
  readonly waitedMs: number;
  /** Never wait (draining, or nothing more can arrive). */
  readonly flush: boolean;
}

/**
 * Most rows one execute() may carry under this policy: 0 means one request per execute (no merging).
 * `adaptiveLimit` is the AIMD limit, used only by an adaptive policy with an objective.
 */
export function rowCap(policy: BatchingPolicy, instanceMaxRows: number, adaptiveLimit: number): number {
  if (instanceMaxRows <= 0 || policy.kind === 'off') return 0;
  if (policy.kind === 'dynamic') return Math.min(policy.maxBatchSize, instanceMaxRows);
  const ceiling = Math.min(policy.maxBatchSize ?? instanceMaxRows, instanceMaxRows);
  return policy.sloMs === undefined ? ceiling : Math.min(adaptiveLimit, ceiling);
}

export function planBatch(policy: BatchingPolicy, cap: number, facts: QueueFacts): BatchPlan {
  // off and adaptive never add wait: they take what is queued the moment an instance is free.
  if (policy.kind !== 'dynamic' || cap === 0) return { run: true, rows: cap };
  if (facts.flush || facts.availableRows >= cap) return { run: true, rows: cap };
  const preferred = largestPreferredWithin(policy.preferredBatchSizes, Math.min(cap, facts.availableRows));
  if (preferred > 0) return { run: true, rows: preferred };
  const delayMs = policy.maxQueueDelayUs / 1000;
  if (facts.waitedMs >= delayMs) return { run: true, rows: cap };
  return { run: false, waitMs: delayMs - facts.waitedMs };
}

function largestPreferredWithin(sizes: readonly number[], bound: number): number {
  let best = 0;
  for (const size of sizes) if (size <= bound && size > best) best = size;
  return best;
}

/**
 * Retry-After hint for a shed request: the time the queue ahead needs to drain at the measured service rate,
 * rounded up to whole seconds and kept within [1, 60] so clients neither hammer nor give up.
 */
export function retryAfterSeconds(queued: number, msPerRequest: number, instances: number): number {
  const seconds = Math.ceil((queued * Math.max(msPerRequest, 0)) / Math.max(instances, 1) / 1000);
  return Math.min(60, Math.max(1, seconds));
}
