/**
 * Additive increase / multiplicative decrease of the row limit, as Clipper (NSDI '17, section 4.3) tunes its
 * batch size: grow by a fixed step while batches finish under the latency objective, back off by a factor when
 * one does not. Pure: the scheduler feeds it each batch's rows and execution time.
 */
export interface AimdParams {
  readonly sloMs: number;
  /** Rows added after a full batch that met the objective. */
  readonly increase: number;
  /** Factor applied after a batch that missed the objective (0 < decrease < 1). */
  readonly decrease: number;
  readonly minRows: number;
  readonly maxRows: number;
}

export interface BatchObservation {
  readonly rows: number;
  readonly execMs: number;
  /**
   * The limit was what bounded the batch: it reached the limit, or a queued request that could have joined did not
   * fit under it. Requests of many rows rarely fill a limit exactly (two of 128 rows never fit under 200), so the
   * row count alone cannot tell.
   */
  readonly bounded: boolean;
}

export function initialLimit(params: AimdParams): number {
  // Start small: the first batches measure the model before the limit is trusted with more rows.
  return clamp(Math.min(8, params.maxRows), params);
}

export function nextLimit(limit: number, observed: BatchObservation, params: AimdParams): number {
  if (observed.execMs > params.sloMs) {
    // Always move down by at least one row, or a limit of 9 with factor 0.9 would never shrink.
    return clamp(Math.min(limit - 1, Math.floor(limit * params.decrease)), params);
  }
  // Grow only when the limit was what bounded the batch: a half-empty batch says nothing about a larger one.
  if (observed.bounded) return clamp(limit + params.increase, params);
  return limit;
}

function clamp(limit: number, params: AimdParams): number {
  return Math.max(params.minRows, Math.min(params.maxRows, limit));
}
