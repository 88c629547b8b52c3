import { ferryError } from '../../errors/index.ts';

/**
 * Runs `evaluate(start, end)` over [0, rows) in chunks of about `workBudget` units (a unit = one tree walk for
 * one row), yielding to the event loop between chunks with setImmediate so that a large forest on a large batch
 * never blocks other requests for long. A batch that fits one chunk runs synchronously: no added latency.
 */
export async function evaluateInChunks(
  rows: number,
  workPerRow: number,
  evaluate: (start: number, end: number) => void,
  signal: AbortSignal | undefined,
  workBudget = DEFAULT_WORK_BUDGET,
): Promise<void> {
  const chunkRows = Math.max(1, Math.floor(workBudget / Math.max(1, workPerRow)));
  if (rows <= chunkRows) {
    evaluate(0, rows);
    return;
  }
  for (let start = 0; start < rows; start += chunkRows) {
    if (signal?.aborted) throw ferryError('FERRY_ERR_CANCELLED');
    evaluate(start, Math.min(rows, start + chunkRows));
    if (start + chunkRows < rows) await yieldToEventLoop();
  }
}

/** About 1–3 ms of tree walking on the reference machines (event-loop delay measured in bench/xgboost-vs-native.ts). */
export const DEFAULT_WORK_BUDGET = 50_000;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
