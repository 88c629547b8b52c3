import { afterEach, describe, expect, it, vi } from 'vitest';
import { ferryError, isFerryError } from '../errors/index.ts';
import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ExecuteResult } from '../runtimes/runtime.ts';
import { createScheduler } from './scheduler.ts';
import { FakeClock, fakeInstance, rowsRequest } from './test-support/fake-instance.ts';
import type { AdaptivePolicy, BatchingPolicy, SchedulerHooks } from './types.ts';

const adaptive: AdaptivePolicy = { kind: 'adaptive', maxQueue: 100 };
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return isFerryError(error) ? `${error.code}: ${error.message}` : `not a FerryError: ${String(error)}`;
}

/** A RequestTrace that records what the scheduler reports to it. */
function recordingTrace(name: string, log: string[]): RequestTrace {
  return {
    traceparent: name,
    phase: (_phase, work) => work(),
    record: (span, start, end) => log.push(`${name} ${span} ${start}-${end}`),
    annotate: () => {},
    batch: (members, start, end, attributes, error) => {
      const fields = Object.entries(attributes).map(([key, value]) => `${key}=${String(value)}`).join(' ');
      log.push(`${name} batch [${members.map((m) => m.traceparent).join(',')}] ${start}-${end} ${fields}${error ? ` ${error}` : ''}`);
    },
    end: () => {},
  };
}

describe('scheduler settings', () => {
  it('refuses no instance and a queue limit that is not a positive integer', () => {
    const instance = fakeInstance({ maxBatchSize: 8 });
    const refusal = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        return isFerryError(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return 'accepted';
    };
    expect(refusal(() => createScheduler([], adaptive, {}, { model: 'm' }))).toMatch(/FERRY_ERR_CONFIG_INVALID: .*scheduler for 'm' needs one or more distinct model instances/);
    expect(refusal(() => createScheduler(instance, { ...adaptive, maxQueue: 0 }, {}, { model: 'm' }))).toMatch(/max_queue of 'm' must be a positive integer, got 0/);
    expect(refusal(() => createScheduler(instance, { ...adaptive, maxQueue: 1.5 }, {}, { model: 'm' }))).toMatch(/must be a positive integer, got 1\.5/);
    expect(refusal(() => createScheduler(instance, { ...adaptive, maxQueue: 1 }, {}, { model: 'm' }))).toBe('accepted');
  });

  it('starts the adaptive limit at 8 rows with an objective, and at the smaller of max_batch_size and the instance limit without one', () => {
    const instance = fakeInstance({ maxBatchSize: 64 });
    expect(createScheduler(instance, { ...adaptive, sloMs: 5 }, {}, { model: 'm' }).stats().limit).toBe(8);
    expect(createScheduler(instance, { ...adaptive, sloMs: 5, maxBatchSize: 4 }, {}, { model: 'm' }).stats().limit).toBe(4);
    expect(createScheduler(instance, adaptive, {}, { model: 'm' }).stats().limit).toBe(64);
    expect(createScheduler(instance, { ...adaptive, maxBatchSize: 16 }, {}, { model: 'm' }).stats().limit).toBe(16);
    expect(createScheduler(instance, { ...adaptive, maxBatchSize: 100 }, {}, { model: 'm' }).stats().limit).toBe(64);
    // An instance that takes no batches: one request per execute whatever the objective.
    expect(createScheduler(fakeInstance({ maxBatchSize: 0 }), { ...adaptive, sloMs: 5 }, {}, { model: 'm' }).stats().limit).toBe(0);
  });
});

describe('what the scheduler reports', () => {
  it('reports each batch to onBatch: requests, rows, each queue wait and the execution time, on the scheduler clock', async () => {
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 8, manual: true, latencyMs: (rows) => 2 * rows, clock });
    const batches: unknown[] = [];
    const s = createScheduler(instance, adaptive, { onBatch: (...args) => batches.push(args) }, { model: 'm', clock });
    const first = s.enqueue(rowsRequest(1));
    await flush();
    clock.advance(5);
    const second = s.enqueue(rowsRequest(2));
    clock.advance(3);
    const third = s.enqueue(rowsRequest(3));
    instance.release(); // the first batch took 2 ms of model time (1 row) on top of the 8 ms that passed
    await first;
    await flush();
    instance.release();
    await Promise.all([second, third]);
    // Batch 1 started at 0; batch 2 at 10 (after 8 ms plus the first batch's 2), with requests queued at 5 and 8.
    expect(batches).toEqual([[1, 1, [0], 10], [2, 5, [5, 2], 10]]);
    expect(s.stats().counts).toEqual({ enqueued: 3, completed: 3, failed: 0, shed: 0, expired: 0, cancelled: 0, batches: 2 });
  });

  it('reports each change of the adaptive limit to onLimit, and only changes', async () => {
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 64, latencyMs: (rows) => rows, clock });
    const limits: number[] = [];
    const s = createScheduler(instance, { ...adaptive, sloMs: 4, aimdIncrease: 2, aimdDecrease: 0.5 }, { onLimit: (l) => limits.push(l) }, { model: 'm', clock });
    // 1 row in 1 ms: a batch the limit did not bound leaves the limit alone.
    await s.enqueue(rowsRequest(1));
    expect(limits).toEqual([]);
    // 8 rows = the limit, 8 ms > 4: halved to 4; 4 rows in 4 ms, bounded: + 2 = 6; 6 rows in 6 ms: halved to 3.
    await s.enqueue(rowsRequest(8));
    await s.enqueue(rowsRequest(4));
    await s.enqueue(rowsRequest(6));
    expect(limits).toEqual([4, 6, 3]);
    expect(s.stats().limit).toBe(3);
  });

  it('never moves the adaptive limit past max_batch_size, however fast the model', async () => {
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 64, latencyMs: () => 0, clock });
    const limits: number[] = [];
    const s = createScheduler(instance, { ...adaptive, sloMs: 4, maxBatchSize: 4 }, { onLimit: (l) => limits.push(l) }, { model: 'm', clock });
    for (let i = 0; i < 3; i++) await s.enqueue(rowsRequest(4));
    expect(limits).toEqual([]);
    expect(s.stats().limit).toBe(4);
  });

  it('records each traced request’s queue wait and one batch span linked to every traced member', async () => {
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 8, manual: true, latencyMs: () => 4, clock });
    const log: string[] = [];
    const s = createScheduler(instance, adaptive, {}, { model: 'm', clock });
    const first = s.enqueue(rowsRequest(1), { trace: recordingTrace('a', log) }); // runs from 0 to 6: 2 ms waiting for release, 4 of model time
    await flush();
    clock.advance(2);
    const untraced = s.enqueue(rowsRequest(2));
    const traced = s.enqueue(rowsRequest(3), { trace: recordingTrace('b', log) });
    instance.release();
    await first;
    await flush();
    instance.release();
    await Promise.all([untraced, traced]);
    expect(log).toEqual([
      'a queue wait 0-0',
      'a batch [a] 0-6 ferry.batch.requests=1 ferry.batch.rows=1',
      'b queue wait 2-6',
      'b batch [b] 6-10 ferry.batch.requests=2 ferry.batch.rows=5',
    ]);
  });

  it('records a failed batch with its error and no row count', async () => {
    const log: string[] = [];
    const instance = fakeInstance({ maxBatchSize: 8, fail: () => new Error('boom') });
    const s = createScheduler(instance, adaptive, {}, { model: 'm', clock: new FakeClock() });
    expect(await codeOf(s.enqueue(rowsRequest(1), { trace: recordingTrace('a', log) }))).toMatch(/FERRY_ERR_EXECUTION_FAILED/);
    expect(log).toEqual(['a queue wait 0-0', 'a batch [a] 0-0 ferry.batch.requests=1 ' + (ferryError('FERRY_ERR_EXECUTION_FAILED', { model: 'm', detail: 'boom' })).message]);
    expect(s.stats().counts).toMatchObject({ failed: 1, completed: 0, batches: 0 });
  });
});

describe('runtimes that answer the wrong number of results', () => {
  it('fails a batch whose runtime answers a result count other than its requests', async () => {
    const wrong = (count: number) => {
      const instance = fakeInstance({ maxBatchSize: 8 });
      const execute = instance.execute.bind(instance);
      return { ...instance, execute: async (...args: Parameters<typeof execute>): Promise<ExecuteResult[]> => (await execute(...args)).concat(Array(count - 1).fill((await execute(...args))[0])) };
    };
    const merged = createScheduler(wrong(2), adaptive, {}, { model: 'm' });
    expect(await codeOf(merged.enqueue(rowsRequest(1)))).toMatch(/FERRY_ERR_EXECUTION_FAILED: .*the runtime answered 2 results for 1 request/);
    const lists = createScheduler({ ...wrong(2), unmergedBatches: true }, adaptive, {}, { model: 'm' });
    expect(await codeOf(lists.enqueue(rowsRequest(1)))).toMatch(/the runtime answered 2 results for 1 requests/);
  });

  it('fails a request whose default output cannot be made, with the error it threw', async () => {
    const instance = fakeInstance({ maxBatchSize: 8 });
    const s = createScheduler(instance, { ...adaptive, defaultOutput: () => { throw new Error('no default today'); } }, {}, { model: 'm' });
    expect(await codeOf(s.enqueue(rowsRequest(1), { deadline: Date.now() - 1 }))).toMatch(/FERRY_ERR_EXECUTION_FAILED: .*no default today/);
    expect(s.stats().counts).toMatchObject({ expired: 1, enqueued: 1 });
  });
});

describe('scheduler edges', () => {
  const dateClock = { now: () => Date.now(), monotonic: () => Date.now() };
  /** A scheduler on Date's clock under fake timers, with one instance that holds each batch until released. */
  function held(policy: BatchingPolicy = adaptive, hooks: SchedulerHooks = {}, maxBatchSize = 8) {
    vi.useFakeTimers();
    const instance = fakeInstance({ maxBatchSize, manual: true });
    return { instance, s: createScheduler(instance, policy, hooks, { model: 'm', clock: dateClock }) };
  }
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps no timer for requests without a deadline, or with one that is not a number', async () => {
    const { instance, s } = held();
    const running = s.enqueue(rowsRequest(1));
    await vi.advanceTimersByTimeAsync(0);
    const waiting = [s.enqueue(rowsRequest(1)), s.enqueue(rowsRequest(1), { deadline: Number.NaN })];
    expect(vi.getTimerCount()).toBe(0);
    const timed = s.enqueue(rowsRequest(1), { deadline: Date.now() + 50 });
    expect(vi.getTimerCount()).toBe(1);
    instance.release();
    await running;
    await vi.advanceTimersByTimeAsync(0);
    instance.release();
    await Promise.all([...waiting, timed]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops its deadline timer once the last request with a deadline is answered, whatever still waits', async () => {
    const { instance, s } = held();
    const running = s.enqueue(rowsRequest(1));
    await vi.advanceTimersByTimeAsync(0);
    const patient = s.enqueue(rowsRequest(1));
    const late = codeOf(s.enqueue(rowsRequest(1), { deadline: Date.now() + 50 }));
    await vi.advanceTimersByTimeAsync(60);
    expect(await late).toMatch(/FERRY_ERR_DEADLINE_EXCEEDED/);
    expect(vi.getTimerCount()).toBe(0); // the request without a deadline needs none
    instance.release();
    await running;
    await vi.advanceTimersByTimeAsync(0);
    instance.release();
    await patient;
  });

  it('rejects a request whose deadline has passed at once, even while every instance is busy', async () => {
    const { instance, s } = held();
    const running = s.enqueue(rowsRequest(1));
    await vi.advanceTimersByTimeAsync(0);
    const answers: string[] = [];
    for (const deadline of [Date.now() - 1, Date.now()]) void codeOf(s.enqueue(rowsRequest(1), { deadline })).then((code) => answers.push(code));
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(answers).toHaveLength(2); // no timer had to run, also for a deadline of now
    for (const answer of answers) expect(answer).toMatch(/FERRY_ERR_DEADLINE_EXCEEDED/);
    expect(s.stats().queued).toBe(0);
    instance.release();
    await running;
  });

  it('does not run a request whose deadline passed while the instance was busy, at the head of the queue or behind it', async () => {
    const { instance, s } = held();
    const running = s.enqueue(rowsRequest(1));
    await vi.advanceTimersByTimeAsync(0);
    const head = codeOf(s.enqueue(rowsRequest(1, 10), { deadline: Date.now() + 50 }));
    const kept = s.enqueue(rowsRequest(1, 20));
    const behind = codeOf(s.enqueue(rowsRequest(1, 30), { deadline: Date.now() + 50 }));
    vi.setSystemTime(Date.now() + 50); // the deadlines arrive, to the millisecond, without their timer firing
    instance.release();
    await running;
    await vi.advanceTimersByTimeAsync(0);
    expect(await head).toMatch(/FERRY_ERR_DEADLINE_EXCEEDED/);
    expect(await behind).toMatch(/FERRY_ERR_DEADLINE_EXCEEDED/);
    expect(instance.batches).toHaveLength(2);
    expect(instance.batches[1]![0]!.inputs[0]!.data).toEqual(Float32Array.of(20, 21)); // only the request without a deadline ran
    instance.release();
    await kept;
  });

  it('counts a request cancelled before it was queued', async () => {
    const s = createScheduler(fakeInstance({ maxBatchSize: 8 }), adaptive, {}, { model: 'm' });
    expect(await codeOf(s.enqueue(rowsRequest(1), { signal: AbortSignal.abort() }))).toMatch(/FERRY_ERR_CANCELLED/);
    expect(s.stats().counts).toMatchObject({ cancelled: 1, enqueued: 0 });
  });

  it('names the model it serves in its errors, and "model" when it is not told', () => {
    expect(() => createScheduler([], adaptive)).toThrow(/scheduler for 'model' needs/);
  });

  it('takes the smallest instance limit of a pool', () => {
    const pool = [fakeInstance({ maxBatchSize: 8 }), fakeInstance({ maxBatchSize: 4 }), fakeInstance({ maxBatchSize: 16 })];
    expect(createScheduler(pool, adaptive, {}, { model: 'm' }).stats().limit).toBe(4);
  });

  it('measures waits and execution on its own clock when given none', async () => {
    const batches: [number, number, readonly number[], number][] = [];
    const s = createScheduler(fakeInstance({ maxBatchSize: 8 }), adaptive, { onBatch: (...args) => batches.push(args) });
    await s.enqueue(rowsRequest(3));
    expect(batches).toHaveLength(1);
    const [size, rows, waits, execMs] = batches[0]!;
    expect([size, rows]).toEqual([1, 3]); // a lone request of 3 rows counts its 3 rows
    expect(Number.isFinite(waits[0]) && waits[0]! >= 0).toBe(true);
    expect(Number.isFinite(execMs) && execMs >= 0).toBe(true);
  });

  it('trims a dynamic batch to the preferred size it waited for', async () => {
    const { instance, s } = held({ kind: 'dynamic', maxQueue: 100, maxBatchSize: 8, maxQueueDelayUs: 2000, preferredBatchSizes: [4] }, {}, 16);
    const blocker = s.enqueue(rowsRequest(8)); // a full batch: runs at once
    await vi.advanceTimersByTimeAsync(0);
    const requests = [s.enqueue(rowsRequest(2, 0)), s.enqueue(rowsRequest(2, 10)), s.enqueue(rowsRequest(2, 20))];
    instance.release();
    await blocker;
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches.map((b) => b[0]!.inputs[0]!.shape[0])).toEqual([8, 4]); // 2 + 2 of the 6 queued rows
    instance.release();
    await vi.advanceTimersByTimeAsync(3);
    instance.release();
    await Promise.all(requests);
    expect(instance.batches.map((b) => b[0]!.inputs[0]!.shape[0])).toEqual([8, 4, 2]);
  });

  it('runs at once a dynamic head that nothing could join: one that fills the batch, or has no batch dimension', async () => {
    const { instance, s } = held({ kind: 'dynamic', maxQueue: 100, maxBatchSize: 4, maxQueueDelayUs: 2000, preferredBatchSizes: [] }, {}, 16);
    const full = s.enqueue(rowsRequest(4));
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches).toHaveLength(1);
    instance.release();
    await full;
    const scalar = s.enqueue({ inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: Float32Array.of(1) }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches).toHaveLength(2);
    instance.release();
    await scalar;
  });

  it('leaves the limit alone after a batch the limit did not bound, and without an objective or batches', async () => {
    const clock = new FakeClock();
    const limits: number[] = [];
    const instance = fakeInstance({ maxBatchSize: 64, manual: true, latencyMs: () => 1, clock });
    const s = createScheduler(instance, { ...adaptive, sloMs: 4 }, { onLimit: (l) => limits.push(l) }, { model: 'm', clock });
    const first = s.enqueue(rowsRequest(1));
    await flush();
    const pair = [s.enqueue(rowsRequest(2)), s.enqueue(rowsRequest(2))]; // 4 rows together, under the limit of 8
    instance.release();
    await first;
    await flush();
    instance.release();
    await Promise.all(pair);
    expect(limits).toEqual([]);
    // Batches that fill the instance: without an objective, or on an instance that takes no batches, no tuning.
    for (const [policy, maxBatchSize] of [[adaptive, 64], [{ ...adaptive, sloMs: 4 }, 0]] as const) {
      const quick = fakeInstance({ maxBatchSize, latencyMs: () => 0, clock });
      const other = createScheduler(quick, policy, { onLimit: (l) => limits.push(l) }, { model: 'm', clock });
      for (let i = 0; i < 3; i++) await other.enqueue(rowsRequest(Math.max(maxBatchSize, 1)));
    }
    expect(limits).toEqual([]);
  });

  it('hints a retry from the recent time per request: the first batch’s, then a moving average', async () => {
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 8, manual: true, latencyMs: (rows) => (rows === 1 ? 2000 : 1000), clock });
    const s = createScheduler(instance, { ...adaptive, maxQueue: 4 }, {}, { model: 'm', clock });
    const first = s.enqueue(rowsRequest(1));
    await flush();
    const pair = [s.enqueue(rowsRequest(2)), s.enqueue(rowsRequest(2))];
    instance.release();
    await first; // 2000 ms for one request
    expect(s.refusal()).toBeUndefined();
    const waiting = [1, 2, 3, 4].map(() => s.enqueue(rowsRequest(2)));
    // 4 queued × 2000 ms = 8 s
    expect(s.refusal()).toMatchObject({ params: { retry_after_s: 8 } });
    instance.release();
    await Promise.all(pair); // 1000 ms for two: 0.8 × 2000 + 0.2 × 500 = 1700 ms a request
    await flush();
    const more = [s.enqueue(rowsRequest(2)), s.enqueue(rowsRequest(2)), s.enqueue(rowsRequest(2)), s.enqueue(rowsRequest(2))];
    expect(s.refusal()).toMatchObject({ params: { retry_after_s: 7 } }); // 4 × 1700 ms = 6.8 s
    for (let i = 0; i < 3; i++) {
      instance.release();
      await flush();
    }
    await Promise.all([...waiting, ...more]);
  });
});
