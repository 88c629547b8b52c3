import { describe, expect, it } from 'vitest';
import { ferryError, isFerryError } from '../errors/index.ts';
import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ExecuteResult } from '../runtimes/runtime.ts';
import { createScheduler } from './scheduler.ts';
import { FakeClock, fakeInstance, rowsRequest } from './test-support/fake-instance.ts';
import type { AdaptivePolicy } from './types.ts';

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
