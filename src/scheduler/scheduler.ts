import { ferryError, isFerryError, type FerryError } from '../errors/index.ts';
import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ExecuteResult, ModelInstance } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import { initialLimit, nextLimit, type AimdParams } from './aimd.ts';
import { mergeRequests } from './concat.ts';
import { mergeKey, requestRows } from './merge-key.ts';
import { PendingQueue, type QueueEntry } from './pending-queue.ts';
import { planBatch, retryAfterSeconds, rowCap, type BatchPlan } from './policy.ts';
import { splitResult } from './split.ts';
import type { BatchingPolicy, EnqueueOptions, ModelScheduler, SchedulerHooks, SchedulerStats } from './types.ts';

/** Time sources; tests pass a fake one so latency and deadlines are deterministic. */
export interface SchedulerClock {
  /** Epoch ms, the unit of deadlines. */
  now(): number;
  /** Monotonic ms for waits and execution time. */
  monotonic(): number;
}

export interface SchedulerOptions {
  /** Model name (and version) used in error messages. */
  readonly model: string;
  readonly version?: string;
  readonly clock?: SchedulerClock;
}

/** The longest delay setTimeout honours; a later deadline gets a timer this long, which re-arms when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const systemClock: SchedulerClock = { now: () => Date.now(), monotonic: () => performance.now() };

interface Pending extends QueueEntry {
  readonly request: InferRequest;
  readonly enqueuedAt: number;
  readonly enqueuedAtEpoch: number;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly trace: RequestTrace | undefined;
  /** Computed on first need: a request that never shares the queue never pays for its key. */
  rows: number | null | undefined;
  key: string | undefined;
  settled: boolean;
  running: RunningBatch | undefined;
  onAbort: (() => void) | undefined;
  resolve(result: ExecuteResult): void;
  reject(error: FerryError): void;
}

interface RunningBatch {
  readonly controller: AbortController;
  /** Requests of the batch still waiting for its result; 0 → abort the execution. */
  waiting: number;
}

/**
 * One scheduler per loaded model version. Each instance in `instances` runs at most `pipelineDepth` (default 1)
 * execute() calls at a time; passing N distinct instances allows N times that in flight (the `instances: N` setting).
 */
export function createScheduler(
  instances: ModelInstance | readonly ModelInstance[],
  policy: BatchingPolicy,
  hooks: SchedulerHooks = {},
  options: SchedulerOptions = { model: 'model' },
): ModelScheduler {
  const pool: readonly ModelInstance[] = Array.isArray(instances) ? instances : [instances as ModelInstance];
  if (pool.length === 0 || new Set(pool).size !== pool.length) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `scheduler for '${options.model}' needs one or more distinct model instances` });
  }
  if (!Number.isInteger(policy.maxQueue) || policy.maxQueue < 1) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `max_queue of '${options.model}' must be a positive integer, got ${policy.maxQueue}` });
  }
  const clock = options.clock ?? systemClock;
  const model = options.model;
  const signature = pool[0]!.signature;
  const instanceMaxRows = Math.min(...pool.map((instance) => instance.maxBatchSize));
  // Batches go to such instances as lists of requests: any requests may share one, none is concatenated.
  const unmerged = pool.every((instance) => instance.unmergedBatches === true);
  const aimd = aimdParams(policy, instanceMaxRows);
  let adaptiveLimit = aimd === undefined ? 0 : initialLimit(aimd);

  const queue = new PendingQueue<Pending>();
  /** Requests in a running batch that carry a deadline: the deadline timer answers them too, at their deadline. */
  const runningWithDeadline = new Set<Pending>();
  // One slot per batch an instance accepts at once (its pipeline depth, 1 unless it says otherwise).
  const free: ModelInstance[] = pool.flatMap((instance) => Array<ModelInstance>(Math.max(1, instance.pipelineDepth ?? 1)).fill(instance));
  let inFlight = 0;
  let draining = false;
  const drainWaiters: (() => void)[] = [];
  let waitTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let deadlineTimerAt = Infinity;
  let msPerRequest = 0;
  let pumping = false;
  const counts = { enqueued: 0, completed: 0, failed: 0, shed: 0, expired: 0, cancelled: 0, batches: 0 };

  const currentCap = (): number => rowCap(policy, instanceMaxRows, adaptiveLimit);

  function enqueue(request: InferRequest, opts: EnqueueOptions = {}): Promise<ExecuteResult> {
    if (draining) return Promise.reject(ferryError('FERRY_ERR_SHUTTING_DOWN'));
    if (opts.signal?.aborted) {
      counts.cancelled++;
      return Promise.reject(ferryError('FERRY_ERR_CANCELLED'));
    }
    const refused = refusal();
    if (refused) return Promise.reject(refused);
    return new Promise<ExecuteResult>((resolve, reject) => {
      // A deadline that is not a finite number (NaN from a bad header) means none, never a timer storm.
      const deadline = opts.deadline !== undefined && Number.isFinite(opts.deadline) ? opts.deadline : undefined;
      const entry: Pending = {
        queued: false, request, enqueuedAt: clock.monotonic(), enqueuedAtEpoch: deadline === undefined ? 0 : clock.now(),
        deadline, signal: opts.signal, trace: opts.trace, rows: undefined, key: undefined, settled: false, running: undefined,
        onAbort: undefined, resolve, reject,
      };
      counts.enqueued++;
      if (entry.deadline !== undefined && entry.deadline <= entry.enqueuedAtEpoch) {
        expire(entry);
        return;
      }
      if (entry.signal !== undefined) {
        entry.onAbort = () => cancel(entry);
        entry.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      queue.push(entry);
      if (entry.deadline !== undefined) armDeadlineTimer(entry.deadline);
      pump();
    });
  }

  /** Starts batches while an instance is free and the policy says run. Synchronous; never re-entered. */
  function pump(): void {
    if (pumping) return;
    pumping = true;
    try {
      while (free.length > 0) {
        const head = queue.peek();
        if (head === undefined) break;
        if (head.deadline !== undefined && head.deadline <= clock.now()) {
          expire(head);
          continue;
        }
        const cap = currentCap();
        const { batch, bounded } = collect(head, cap);
        const plan = policy.kind === 'dynamic' ? planDynamic(head, batch, cap) : { run: true as const, rows: cap };
        if (!plan.run) {
          armWaitTimer(plan.waitMs);
          break;
        }
        clearWaitTimer();
        start(trimToRows(batch, plan.rows), bounded);
      }
    } finally {
      pumping = false;
    }
    if (!awaitsDeadline()) clearDeadlineTimer(); // the queue may have emptied into batches whose requests have no deadline
    settleDrainIfDone();
  }

  function planDynamic(head: Pending, batch: readonly Pending[], cap: number): BatchPlan {
    const headRows = rowsOf(head);
    // Nothing can join a head that cannot merge: waiting for company would only add latency.
    const alone = headRows === null || headRows >= cap;
    let availableRows = 0;
    for (const entry of batch) availableRows += entry.rows ?? 0;
    return planBatch(policy, cap, { availableRows, waitedMs: clock.monotonic() - head.enqueuedAt, flush: draining || alone });
  }

  /**
   * The head, then queued requests with the head's merge key while their rows fit under the cap. `bounded`: the cap
   * is what ended the batch (it was reached, or a request that could have joined did not fit), which is when the
   * adaptive limit may grow.
   */
  function collect(head: Pending, cap: number): { batch: Pending[]; bounded: boolean } {
    const batch = [head];
    if (cap === 0) return { batch, bounded: false };
    const headRows = rowsOf(head);
    if (headRows === null) return { batch, bounded: false };
    if (headRows >= cap || queue.size === 1) return { batch, bounded: headRows >= cap };
    const key = keyOf(head);
    const now = clock.now();
    let total = headRows;
    let bounded = false;
    for (const entry of queue.entries()) {
      if (total >= cap) break;
      if (entry === head) continue;
      if (entry.deadline !== undefined && entry.deadline <= now) {
        expire(entry);
        continue;
      }
      const rows = rowsOf(entry);
      if (rows === null || keyOf(entry) !== key) continue;
      if (total + rows > cap) {
        bounded = true;
        continue;
      }
      batch.push(entry);
      total += rows;
    }
    return { batch, bounded: bounded || total >= cap };
  }

  function start(batch: Pending[], bounded: boolean): void {
    const instance = free.pop()!;
    const running: RunningBatch = { controller: new AbortController(), waiting: batch.length };
    for (const entry of batch) {
      queue.remove(entry);
      entry.running = running;
      if (entry.deadline !== undefined) runningWithDeadline.add(entry);
    }
    inFlight++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      inFlight--;
      free.push(instance);
      pump();
    };
    void run(instance, batch, bounded, running.controller.signal, release).finally(release);
  }

  /**
   * Executes one batch, then hands the instance back (`release`) before answering the batch's requests: the next
   * batch starts while this one's answers are encoded and written, so a model on another thread (a worker, a
   * remote runtime) computes while the event loop writes, however many promise steps lie between here and the
   * socket. A runtime that computes synchronously in execute() runs its first slice before those answers go out.
   */
  async function run(instance: ModelInstance, batch: Pending[], bounded: boolean, signal: AbortSignal, release: () => void): Promise<void> {
    const startedAt = clock.monotonic();
    const waits = batch.map((entry) => startedAt - entry.enqueuedAt);
    try {
      const single = batch.length === 1;
      // Zero-copy fast path for a batch of one: the request goes to the model as it came, the result comes back as it went.
      const rowsPerRequest = single ? [requestRows(batch[0]!.request) ?? 1] : batch.map((entry) => entry.rows!);
      const results = unmerged
        ? await instance.execute(batch.map((entry) => entry.request), signal, false)
        // A merged batch is this scheduler's own copy: the instance may move its buffers (to a worker thread, say).
        : await instance.execute([single ? batch[0]!.request : mergeRequests(batch.map((entry) => entry.request), rowsPerRequest)], signal, !single);
      const execMs = clock.monotonic() - startedAt;
      const rows = rowsPerRequest.reduce((sum, n) => sum + n, 0);
      msPerRequest = msPerRequest === 0 ? execMs / batch.length : 0.8 * msPerRequest + (0.2 * execMs) / batch.length;
      if (aimd !== undefined) {
        const limit = nextLimit(adaptiveLimit, { rows, execMs: computeMsOf(results) ?? execMs, bounded }, aimd);
        if (limit !== adaptiveLimit) {
          adaptiveLimit = limit;
          call(() => hooks.onLimit?.(limit));
        }
      }
      release();
      const parts = unmerged ? resultPerRequest(results, batch.length) : single ? [onlyResult(results)] : splitResult(onlyResult(results), rowsPerRequest, signature, model);
      let answered = 0; // requests cancelled while running were already answered
      batch.forEach((entry, index) => {
        if (settle(entry, parts[index]!)) answered++;
      });
      counts.batches++;
      counts.completed += answered;
      call(() => hooks.onBatch?.(batch.length, rows, waits, execMs));
      traceBatch(batch, startedAt, startedAt + execMs, rows);
    } catch (error) {
      release();
      const failure = asExecutionError(error, model);
      for (const entry of batch) if (fail(entry, failure)) counts.failed++;
      traceBatch(batch, startedAt, clock.monotonic(), undefined, failure.message);
    }
  }

  /** Each traced request's queue wait, and the batch it ran in (linked to every traced request in it). */
  function traceBatch(batch: readonly Pending[], startedAt: number, endedAt: number, rows: number | undefined, error?: string): void {
    let traced: RequestTrace[] | undefined;
    for (const entry of batch) if (entry.trace !== undefined) (traced ??= []).push(entry.trace);
    if (traced === undefined) return;
    call(() => {
      for (const entry of batch) entry.trace?.record('queue wait', entry.enqueuedAt, startedAt);
      const attributes = { 'ferry.batch.requests': batch.length, ...(rows !== undefined ? { 'ferry.batch.rows': rows } : {}) };
      traced[0]!.batch(traced, startedAt, endedAt, attributes, error);
    });
  }

  function resultPerRequest(results: readonly ExecuteResult[], requests: number): readonly ExecuteResult[] {
    if (results.length !== requests) {
      throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `the runtime answered ${results.length} results for ${requests} requests` });
    }
    return results;
  }

  function onlyResult(results: readonly ExecuteResult[]): ExecuteResult {
    if (results.length !== 1) {
      throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `the runtime answered ${results.length} results for 1 request` });
    }
    return results[0]!;
  }

  function cancel(entry: Pending): void {
    if (entry.settled) return;
    counts.cancelled++;
    const running = entry.running;
    queue.remove(entry);
    fail(entry, ferryError('FERRY_ERR_CANCELLED'));
    leaveBatch(running);
    settleDrainIfDone();
  }

  /**
   * Answers a request whose deadline has passed, queued or running: with the default output when the policy has
   * one, else FERRY_ERR_DEADLINE_EXCEEDED. A running batch goes on for its other requests; its result for this one
   * is dropped, and once no request waits for it the runtime's abort signal fires.
   */
  function expire(entry: Pending): void {
    if (entry.settled) return;
    const running = entry.running;
    queue.remove(entry);
    counts.expired++;
    call(() => hooks.onExpired?.());
    const fallback = policy.defaultOutput;
    if (fallback === undefined) {
      const timeout_ms = Math.max(0, Math.round(entry.deadline! - entry.enqueuedAtEpoch));
      fail(entry, ferryError('FERRY_ERR_DEADLINE_EXCEEDED', { timeout_ms }));
    } else {
      try {
        const result = typeof fallback === 'function' ? fallback(entry.request) : fallback;
        settle(entry, { outputs: result.outputs, parameters: { ...result.parameters, ferry_default_output: true } });
      } catch (error) {
        fail(entry, asExecutionError(error, model));
      }
    }
    leaveBatch(running);
  }

  /** One request of a running batch no longer waits for it; the last one to leave aborts the execution. */
  function leaveBatch(running: RunningBatch | undefined): void {
    if (running !== undefined && --running.waiting === 0) running.controller.abort();
  }

  /** True while some request (queued, or running with a deadline) still needs the deadline timer. */
  function awaitsDeadline(): boolean {
    return queue.size > 0 || runningWithDeadline.size > 0;
  }

  function settle(entry: Pending, result: ExecuteResult): boolean {
    if (entry.settled) return false;
    finish(entry);
    entry.resolve(result);
    return true;
  }

  function fail(entry: Pending, error: FerryError): boolean {
    if (entry.settled) return false;
    finish(entry);
    entry.reject(error);
    return true;
  }

  /** Every answer passes here: the last request that needed the deadline timer stops it. */
  function finish(entry: Pending): void {
    entry.settled = true;
    if (entry.running !== undefined) runningWithDeadline.delete(entry);
    if (!awaitsDeadline()) clearDeadlineTimer();
    if (entry.onAbort !== undefined) entry.signal!.removeEventListener('abort', entry.onAbort);
  }

  function armWaitTimer(ms: number): void {
    clearWaitTimer();
    waitTimer = setTimeout(() => {
      waitTimer = undefined;
      pump();
    }, Math.max(0, ms));
  }

  function clearWaitTimer(): void {
    if (waitTimer !== undefined) clearTimeout(waitTimer);
    waitTimer = undefined;
  }

  /** One timer for the earliest deadline, so expired requests are answered even while every instance is busy or their batch runs. */
  function armDeadlineTimer(deadline: number): void {
    if (deadline >= deadlineTimerAt) return;
    clearDeadlineTimer();
    deadlineTimerAt = deadline;
    // Node turns a delay beyond 2^31-1 ms (a deadline weeks away) into 1 ms: that would sweep every millisecond.
    deadlineTimer = setTimeout(sweepExpired, Math.min(MAX_TIMER_MS, Math.max(0, deadline - clock.now())));
  }

  function clearDeadlineTimer(): void {
    if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    deadlineTimerAt = Infinity;
  }

  function sweepExpired(): void {
    deadlineTimer = undefined;
    deadlineTimerAt = Infinity;
    const now = clock.now();
    let next = Infinity;
    for (const entry of [...queue.entries(), ...runningWithDeadline]) {
      if (entry.deadline === undefined) continue;
      if (entry.deadline <= now) expire(entry);
      else next = Math.min(next, entry.deadline);
    }
    if (next !== Infinity) armDeadlineTimer(next);
    pump();
  }

  function settleDrainIfDone(): void {
    if (!draining || queue.size > 0 || inFlight > 0) return;
    clearWaitTimer();
    clearDeadlineTimer();
    for (const done of drainWaiters.splice(0)) done();
  }

  function rowsOf(entry: Pending): number | null {
    if (entry.rows === undefined) entry.rows = requestRows(entry.request) ?? (unmerged ? 1 : null);
    return entry.rows;
  }

  function keyOf(entry: Pending): string {
    if (entry.key === undefined) entry.key = unmerged ? '' : mergeKey(entry.request);
    return entry.key;
  }

  function trimToRows(batch: Pending[], rows: number): Pending[] {
    let total = batch[0]!.rows ?? 0;
    let end = 1;
    while (end < batch.length && total + batch[end]!.rows! <= rows) total += batch[end++]!.rows!;
    return end === batch.length ? batch : batch.slice(0, end);
  }

  function refusal(): FerryError | undefined {
    if (queue.size < policy.maxQueue) return undefined;
    counts.shed++;
    call(() => hooks.onShed?.());
    const retry_after_s = retryAfterSeconds(queue.size, msPerRequest, pool.length);
    return ferryError('FERRY_ERR_QUEUE_FULL', { model, limit: policy.maxQueue, retry_after_s });
  }

  function stats(): SchedulerStats {
    return { queued: queue.size, inFlight, limit: currentCap(), draining, counts: { ...counts } };
  }

  function drain(): Promise<void> {
    draining = true;
    const done = new Promise<void>((resolve) => drainWaiters.push(resolve));
    pump(); // a dynamic policy stops waiting for fuller batches once draining
    return done;
  }

  return { enqueue, stats, refusal, drain };
}

/** The model's own compute time for a batch, when the instance measured it for every result (ExecuteResult.computeMs). */
function computeMsOf(results: readonly ExecuteResult[]): number | undefined {
  let total = 0;
  for (const result of results) {
    if (result.computeMs === undefined) return undefined;
    total += result.computeMs;
  }
  return total;
}

function aimdParams(policy: BatchingPolicy, instanceMaxRows: number): AimdParams | undefined {
  if (policy.kind !== 'adaptive' || policy.sloMs === undefined || instanceMaxRows <= 0) return undefined;
  return {
    sloMs: policy.sloMs,
    increase: policy.aimdIncrease ?? 1,
    decrease: policy.aimdDecrease ?? 0.9,
    minRows: 1,
    maxRows: Math.min(policy.maxBatchSize ?? instanceMaxRows, instanceMaxRows),
  };
}

function asExecutionError(error: unknown, model: string): FerryError {
  if (isFerryError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail }, error);
}

/** Metric hooks must never break the request path. */
function call(hook: () => void): void {
  try {
    hook();
  } catch {
    // a failing metrics hook is the metrics layer's bug, not the request's
  }
}
