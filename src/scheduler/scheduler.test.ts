import { afterEach, describe, expect, it, vi } from 'vitest';
import { ferryError, isFerryError } from '../errors/index.ts';
import type { ExecuteResult } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import { createScheduler, type SchedulerClock } from './scheduler.ts';
import { FakeClock, fakeInstance, rowsRequest } from './test-support/fake-instance.ts';
import type { AdaptivePolicy, BatchingPolicy, ModelScheduler, SchedulerHooks } from './types.ts';

const adaptive: AdaptivePolicy = { kind: 'adaptive', maxQueue: 1000 };
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const dateClock: SchedulerClock = { now: () => Date.now(), monotonic: () => Date.now() };

/** y = 2x + 1, computed here from the request's own data: the reference the split result must match. */
function expectAnswers(request: InferRequest, result: ExecuteResult): void {
  const x = request.inputs[0]!;
  const y = result.outputs.find((t) => t.name === 'y')!;
  expect(y.shape).toEqual(x.shape);
  expect(Array.from(y.data as Float32Array)).toEqual(Array.from(x.data as Float32Array, (v) => 2 * v + 1));
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; params: Record<string, unknown>; http: number }> {
  try {
    await promise;
  } catch (error) {
    if (isFerryError(error)) return { code: error.code, params: { ...error.params }, http: error.http };
    throw error;
  }
  throw new Error('expected a rejection');
}

function scheduler(policy: BatchingPolicy, maxBatchSize = 64, hooks: SchedulerHooks = {}) {
  const instance = fakeInstance({ maxBatchSize, manual: true });
  return { instance, s: createScheduler(instance, policy, hooks, { model: 'm' }) };
}

/** `scheduler` on Date's clock under fake timers, so that deadlines pass as the test advances time. */
function timedScheduler(policy: BatchingPolicy, hooks: SchedulerHooks = {}) {
  vi.useFakeTimers();
  const instance = fakeInstance({ maxBatchSize: 8, manual: true });
  return { instance, s: createScheduler(instance, policy, hooks, { model: 'm', clock: dateClock }) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('scheduler: batching', () => {
  it('passes a lone request through untouched and returns the runtime result as is (zero-copy fast path)', async () => {
    const instance = fakeInstance({ maxBatchSize: 8 });
    const s = createScheduler(instance, adaptive, {}, { model: 'm' });
    const request = rowsRequest(3, 5);
    const result = await s.enqueue(request);
    expect(instance.batches).toEqual([[request]]);
    expect(instance.batches[0]![0]).toBe(request);
    expect(instance.movable).toEqual([false]); // the client's tensors: the runtime must not take their buffers
    expect(result).toBe(instance.results[0]![0]);
    expectAnswers(request, result);
  });

  it('adaptive merges everything queued while the model was busy into one execute, and splits the answers', async () => {
    const onBatch = vi.fn();
    const { instance, s } = scheduler(adaptive, 64, { onBatch });
    const first = rowsRequest(1, 0);
    const firstDone = s.enqueue(first);
    await flush();
    expect(instance.held).toBe(1);
    const queued = [rowsRequest(1, 100), rowsRequest(2, 200), rowsRequest(3, 300)];
    const done = queued.map((r) => s.enqueue(r));
    expect(s.stats().queued).toBe(3);
    instance.release();
    expectAnswers(first, await firstDone);
    await flush();
    expect(instance.batches).toHaveLength(2);
    expect(instance.batches[1]).toHaveLength(1);
    expect(instance.batches[1]![0]!.inputs[0]!.shape).toEqual([6, 2]);
    expect(instance.movable).toEqual([false, true]); // the merged copy is the scheduler's to give away
    instance.release();
    const results = await Promise.all(done);
    results.forEach((result, i) => {
      expectAnswers(queued[i]!, result);
      // 'rows' has no batch dimension (the signature fixes it at [1]): every request gets the batch's copy.
      expect(Array.from(result.outputs.find((t) => t.name === 'rows')!.data as Int32Array)).toEqual([6]);
    });
    expect(onBatch).toHaveBeenCalledTimes(2);
    expect(onBatch.mock.calls[1]!.slice(0, 2)).toEqual([3, 6]);
    expect(onBatch.mock.calls[1]![2]).toHaveLength(3);
    expect(s.stats().counts).toMatchObject({ enqueued: 4, completed: 4, batches: 2 });
  });

  it('starts the next batch before the finished batch is answered, so the model computes while answers are written', async () => {
    const { instance, s } = scheduler(adaptive);
    const first = s.enqueue(rowsRequest(1, 0));
    await flush();
    const second = s.enqueue(rowsRequest(1, 10));
    let executionsWhenFirstAnswered = -1;
    const firstAnswered = first.then(() => {
      executionsWhenFirstAnswered = instance.batches.length;
    });
    instance.release();
    await firstAnswered;
    expect(executionsWhenFirstAnswered).toBe(2);
    expect(instance.held).toBe(1);
    instance.release();
    await second;
  });

  it('never puts more rows in one execute than the instance allows', async () => {
    const { instance, s } = scheduler(adaptive, 4);
    const all = Array.from({ length: 11 }, (_, i) => s.enqueue(rowsRequest(1, i)));
    for (let i = 0; i < 4; i++) {
      await flush();
      instance.release();
    }
    await Promise.all(all);
    expect(instance.batches.map((b) => b[0]!.inputs[0]!.shape[0])).toEqual([1, 4, 4, 2]);
  });

  it('batches requests that cannot merge separately, and keeps arrival order within each group', async () => {
    const { instance, s } = scheduler(adaptive);
    const head = s.enqueue(rowsRequest(1, 0, 2));
    const requests = [rowsRequest(1, 10, 2), rowsRequest(1, 20, 3), rowsRequest(2, 30, 2), rowsRequest(1, 40, 3)];
    const scalar: InferRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: Float32Array.of(7) }] };
    const done = [...requests.map((r) => s.enqueue(r)), s.enqueue(scalar)];
    for (let i = 0; i < 4; i++) {
      await flush();
      instance.release();
    }
    await head;
    const results = await Promise.all(done);
    requests.forEach((r, i) => expectAnswers(r, results[i]!));
    expect(Array.from(results[4]!.outputs[0]!.data as Float32Array)).toEqual([15]);
    const shapes = instance.batches.map((b) => b[0]!.inputs[0]!.shape);
    expect(shapes).toEqual([[1, 2], [3, 2], [2, 3], []]);
    expect(Array.from(instance.batches[1]![0]!.inputs[0]!.data as Float32Array)).toEqual([10, 11, 30, 31, 32, 33]);
  });

  it('gives an instance that takes request lists any queued requests together, unmerged, each answered by its own result', async () => {
    const instance = fakeInstance({ maxBatchSize: 8, manual: true, unmergedBatches: true });
    const s = createScheduler(instance, adaptive, {}, { model: 'm' });
    const head = s.enqueue(rowsRequest(1, 0, 2));
    const scalar: InferRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: Float32Array.of(7) }] };
    // Shapes that could never be concatenated, and a request without a batch dimension (it counts as one row).
    const requests = [rowsRequest(2, 10, 2), rowsRequest(1, 20, 3), scalar, rowsRequest(3, 30, 5), rowsRequest(2, 40, 1)];
    const done = requests.map((r) => s.enqueue(r));
    for (let i = 0; i < 3; i++) {
      await flush();
      instance.release();
    }
    await head;
    const results = await Promise.all(done);
    [0, 1, 3, 4].forEach((i) => expectAnswers(requests[i]!, results[i]!));
    expect(Array.from(results[2]!.outputs[0]!.data as Float32Array)).toEqual([15]);
    // 2 + 1 + 1 + 3 rows fit the 8-row cap; the last 2 rows would not: they run next. Requests reach the instance as they came.
    expect(instance.batches.map((b) => b.length)).toEqual([1, 4, 1]);
    instance.batches[1]!.forEach((request, i) => expect(request).toBe(requests[i]));
    expect(instance.movable).toEqual([false, false, false]);
  });

  it('off runs one request per execute', async () => {
    const { instance, s } = scheduler({ kind: 'off', maxQueue: 10 });
    const all = [1, 2, 3].map((n) => s.enqueue(rowsRequest(n)));
    for (let i = 0; i < 3; i++) {
      await flush();
      instance.release();
    }
    await Promise.all(all);
    expect(instance.batches.map((b) => b.length)).toEqual([1, 1, 1]);
    expect(instance.batches.map((b) => b[0]!.inputs[0]!.shape[0])).toEqual([1, 2, 3]);
  });

  it('never merges for a model without a batch dimension (maxBatchSize 0)', async () => {
    const { instance, s } = scheduler(adaptive, 0);
    const all = [1, 1, 1].map((n, i) => s.enqueue(rowsRequest(n, i)));
    for (let i = 0; i < 3; i++) {
      await flush();
      instance.release();
    }
    await Promise.all(all);
    expect(instance.batches.map((b) => b[0]!.inputs[0]!.shape[0])).toEqual([1, 1, 1]);
    expect(s.stats().limit).toBe(0);
  });

  it('dynamic waits up to the delay to fill a preferred size', async () => {
    vi.useFakeTimers();
    const instance = fakeInstance({ maxBatchSize: 16 });
    const policy: BatchingPolicy = { kind: 'dynamic', maxQueue: 100, maxBatchSize: 8, maxQueueDelayUs: 2000, preferredBatchSizes: [4] };
    const s = createScheduler(instance, policy, {}, { model: 'm', clock: dateClock });
    const a = [s.enqueue(rowsRequest(1, 0)), s.enqueue(rowsRequest(1, 1))];
    await vi.advanceTimersByTimeAsync(1);
    expect(instance.batches).toHaveLength(0);
    const b = [s.enqueue(rowsRequest(1, 2)), s.enqueue(rowsRequest(1, 3))];
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches).toHaveLength(1); // preferred size 4 filled: run at once
    expect(instance.batches[0]![0]!.inputs[0]!.shape[0]).toBe(4);
    await Promise.all([...a, ...b]);

    const c = s.enqueue(rowsRequest(1, 4));
    await vi.advanceTimersByTimeAsync(1.5);
    expect(instance.batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(instance.batches).toHaveLength(2); // delay over: run what there is
    await c;
  });
});

describe('scheduler: deadlines, shedding, cancellation, drain', () => {
  it('rejects a request whose deadline passes while it waits, without running it', async () => {
    const onExpired = vi.fn();
    const { instance, s } = timedScheduler(adaptive, { onExpired });
    const first = s.enqueue(rowsRequest(1));
    const late = rejection(s.enqueue(rowsRequest(1), { deadline: Date.now() + 50 }));
    const ontime = s.enqueue(rowsRequest(1, 9), { deadline: Date.now() + 500 });
    await vi.advanceTimersByTimeAsync(60);
    expect(await late).toMatchObject({ code: 'FERRY_ERR_DEADLINE_EXCEEDED', http: 504, params: { timeout_ms: 50 } });
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(instance.held).toBe(1); // answered while the model was still busy
    instance.release();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    instance.release();
    expectAnswers(rowsRequest(1, 9), await ontime);
    expect(instance.batches).toHaveLength(2);
    expect(s.stats().counts.expired).toBe(1);
  });

  it('answers a running request at its deadline, while its batch goes on for the requests that can still wait', async () => {
    const onExpired = vi.fn();
    const { instance, s } = timedScheduler(adaptive, { onExpired });
    const blocker = s.enqueue(rowsRequest(1));
    const short = rejection(s.enqueue(rowsRequest(1, 10), { deadline: Date.now() + 50 }));
    const patient = s.enqueue(rowsRequest(1, 20), { deadline: Date.now() + 500 });
    const none = s.enqueue(rowsRequest(1, 30));
    instance.release();
    await blocker;
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches[1]![0]!.inputs[0]!.shape[0]).toBe(3); // all three run together
    await vi.advanceTimersByTimeAsync(49);
    expect(onExpired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(await short).toMatchObject({ code: 'FERRY_ERR_DEADLINE_EXCEEDED', http: 504 });
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(instance.held).toBe(1); // answered while its batch still runs
    expect(instance.signals[1]!.aborted).toBe(false); // two requests still wait for it
    instance.release();
    expectAnswers(rowsRequest(1, 20), await patient);
    expectAnswers(rowsRequest(1, 30), await none);
    expect(s.stats().counts).toMatchObject({ enqueued: 4, completed: 3, expired: 1 });
    expect(vi.getTimerCount()).toBe(0); // nothing left waiting: no deadline timer
  });

  it('aborts a running execution once every request in it has passed its deadline, and answers the default output when there is one', async () => {
    const fallback: ExecuteResult = { outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(-1) }] };
    const { instance, s } = timedScheduler({ ...adaptive, defaultOutput: fallback });
    const blocker = s.enqueue(rowsRequest(1));
    const answers = [s.enqueue(rowsRequest(1), { deadline: Date.now() + 10 }), s.enqueue(rowsRequest(1), { deadline: Date.now() + 30 })];
    instance.release();
    await blocker;
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.batches[1]![0]!.inputs[0]!.shape[0]).toBe(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(instance.signals[1]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(instance.signals[1]!.aborted).toBe(true);
    for (const result of await Promise.all(answers)) expect(result).toEqual({ outputs: fallback.outputs, parameters: { ferry_default_output: true } });
    instance.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.stats()).toMatchObject({ inFlight: 0, counts: { expired: 2, completed: 1 } });
  });

  it('answers the default output, marked, instead of an error when the policy has one', async () => {
    const fallback: ExecuteResult = { outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(-1) }] };
    const { instance, s } = timedScheduler({ ...adaptive, defaultOutput: () => fallback });
    const first = s.enqueue(rowsRequest(1));
    const late = s.enqueue(rowsRequest(1), { deadline: Date.now() + 10 });
    await vi.advanceTimersByTimeAsync(20);
    const result = await late;
    expect(result.outputs).toBe(fallback.outputs);
    expect(result.parameters).toEqual({ ferry_default_output: true });
    instance.release();
    await first;
  });

  it('treats a deadline that is not a finite number as none', async () => {
    const instance = fakeInstance({ maxBatchSize: 8 });
    const s = createScheduler(instance, adaptive, {}, { model: 'm' });
    expectAnswers(rowsRequest(1, 4), await s.enqueue(rowsRequest(1, 4), { deadline: Number.NaN }));
    expect(s.stats().counts.expired).toBe(0);
  });

  it('keeps a deadline weeks away within what setTimeout honours, so it never turns into a 1 ms sweep', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const delays: number[] = [];
    const original = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return original(fn, ms);
    }) as typeof setTimeout);
    try {
      const { instance, s } = scheduler(adaptive);
      const running = s.enqueue(rowsRequest(1), { deadline: Date.now() + 1e12 });
      const queued = s.enqueue(rowsRequest(1, 5), { deadline: Date.now() + 1e12 });
      await new Promise((resolve) => original(resolve, 30));
      expect(delays.length).toBeGreaterThan(0);
      for (const ms of delays) expect(ms).toBeLessThanOrEqual(2 ** 31 - 1);
      instance.release();
      await running;
      await flush();
      instance.release();
      expectAnswers(rowsRequest(1, 5), await queued);
      expect(s.stats().counts.expired).toBe(0);
    } finally {
      spy.mockRestore();
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('rejects at once a request whose deadline has already passed', async () => {
    const { instance, s } = scheduler(adaptive);
    const error = await rejection(s.enqueue(rowsRequest(1), { deadline: Date.now() - 5 }));
    expect(error.code).toBe('FERRY_ERR_DEADLINE_EXCEEDED');
    expect(instance.batches).toHaveLength(0);
  });

  it('answers no refusal while the queue has room', () => {
    const { s } = scheduler({ ...adaptive, maxQueue: 2 });
    expect(s.refusal()).toBeUndefined();
    expect(s.stats().counts.shed).toBe(0);
  });

  it('sheds at once with 429 and a retry hint when the queue is full', async () => {
    const onShed = vi.fn();
    const { instance, s } = scheduler({ ...adaptive, maxQueue: 2 }, 64, { onShed });
    const running = s.enqueue(rowsRequest(1));
    await flush();
    const waiting = [s.enqueue(rowsRequest(1)), s.enqueue(rowsRequest(1))];
    let settled = false;
    const shed = rejection(s.enqueue(rowsRequest(1))).finally(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true); // no wait for the model
    const error = await shed;
    expect(error).toMatchObject({ code: 'FERRY_ERR_QUEUE_FULL', http: 429, params: { model: 'm', limit: 2 } });
    expect(error.params.retry_after_s).toBeGreaterThanOrEqual(1);
    expect(onShed).toHaveBeenCalledTimes(1);
    expect(s.stats()).toMatchObject({ queued: 2, counts: { shed: 1 } });
    // refusal() tells an adapter the same before it reads a body, and counts it as shed too.
    expect(s.refusal()).toMatchObject({ code: 'FERRY_ERR_QUEUE_FULL', http: 429 });
    expect(onShed).toHaveBeenCalledTimes(2);
    instance.release();
    await flush();
    instance.release();
    await Promise.all([running, ...waiting]);
  });

  it('removes a cancelled request from the queue', async () => {
    const { instance, s } = scheduler(adaptive);
    const running = s.enqueue(rowsRequest(1));
    await flush();
    const controller = new AbortController();
    const cancelled = rejection(s.enqueue(rowsRequest(1, 50), { signal: controller.signal }));
    const kept = s.enqueue(rowsRequest(1, 60));
    controller.abort();
    expect(await cancelled).toMatchObject({ code: 'FERRY_ERR_CANCELLED', http: 499 });
    expect(s.stats().queued).toBe(1);
    instance.release();
    await running;
    await flush();
    instance.release();
    expectAnswers(rowsRequest(1, 60), await kept);
    expect(instance.batches[1]![0]!.inputs[0]!.shape[0]).toBe(1); // only the request that stayed
    expect(await rejection(s.enqueue(rowsRequest(1), { signal: AbortSignal.abort() }))).toMatchObject({ code: 'FERRY_ERR_CANCELLED' });
  });

  it('aborts the execution once every request in it is cancelled', async () => {
    const { instance, s } = scheduler(adaptive);
    const blocker = s.enqueue(rowsRequest(1));
    await flush();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const p1 = rejection(s.enqueue(rowsRequest(1), { signal: c1.signal }));
    const p2 = rejection(s.enqueue(rowsRequest(1), { signal: c2.signal }));
    instance.release();
    await blocker;
    await flush();
    expect(instance.held).toBe(1);
    c1.abort();
    expect(instance.signals[1]!.aborted).toBe(false);
    c2.abort();
    expect(instance.signals[1]!.aborted).toBe(true);
    expect((await p1).code).toBe('FERRY_ERR_CANCELLED');
    expect((await p2).code).toBe('FERRY_ERR_CANCELLED');
    instance.release();
    await flush();
    expect(s.stats().inFlight).toBe(0);
    expect(s.stats().counts).toMatchObject({ completed: 1, cancelled: 2 });
  });

  it('drain refuses new requests and resolves once everything queued has finished', async () => {
    const { instance, s } = scheduler(adaptive);
    const all = [s.enqueue(rowsRequest(1)), s.enqueue(rowsRequest(1, 1))];
    await flush();
    let drained = false;
    const drain = s.drain().then(() => (drained = true));
    expect(await rejection(s.enqueue(rowsRequest(1)))).toMatchObject({ code: 'FERRY_ERR_SHUTTING_DOWN', http: 503 });
    instance.release();
    await flush();
    expect(drained).toBe(false);
    instance.release();
    await Promise.all(all);
    await drain;
    expect(drained).toBe(true);
    expect(s.stats()).toMatchObject({ queued: 0, inFlight: 0, draining: true });
  });

  it('drain stops a dynamic policy from waiting for fuller batches', async () => {
    vi.useFakeTimers();
    const instance = fakeInstance({ maxBatchSize: 16 });
    const policy: BatchingPolicy = { kind: 'dynamic', maxQueue: 100, maxBatchSize: 8, maxQueueDelayUs: 60_000_000, preferredBatchSizes: [] };
    const s = createScheduler(instance, policy, {}, { model: 'm', clock: dateClock });
    const pending = s.enqueue(rowsRequest(1));
    await vi.advanceTimersByTimeAsync(10);
    expect(instance.batches).toHaveLength(0);
    await s.drain();
    await pending;
    expect(instance.batches).toHaveLength(1);
  });
});

describe('scheduler: instances, failures, AIMD', () => {
  it('never calls execute concurrently on one instance, and keeps N instances busy', async () => {
    const pool = [0, 1].map(() => fakeInstance({ maxBatchSize: 8, delayMs: () => Math.random() * 3 }));
    let peak = 0;
    const s = createScheduler(pool, adaptive, { onBatch: () => (peak = Math.max(peak, s.stats().inFlight)) }, { model: 'm' });
    const requests = Array.from({ length: 200 }, (_, i) => rowsRequest(1 + (i % 3), i, 2 + (i % 2)));
    const results = await Promise.all(requests.map((r) => s.enqueue(r)));
    results.forEach((result, i) => expectAnswers(requests[i]!, result));
    for (const instance of pool) {
      expect(instance.maxOverlap).toBe(1);
      expect(instance.batches.length).toBeGreaterThan(0);
    }
    expect(peak).toBe(2);
  });

  it('gives an instance with a pipeline depth of 2 a second batch while its first runs, and no third', async () => {
    const instance = fakeInstance({ maxBatchSize: 8, manual: true, pipelineDepth: 2 });
    const s = createScheduler(instance, adaptive, {}, { model: 'm' });
    const requests = [rowsRequest(1, 0), rowsRequest(1, 10), rowsRequest(1, 20), rowsRequest(1, 30)];
    const first = s.enqueue(requests[0]!);
    await flush();
    const second = s.enqueue(requests[1]!);
    await flush();
    const rest = [s.enqueue(requests[2]!), s.enqueue(requests[3]!)];
    await flush();
    expect(instance.held).toBe(2); // two batches handed over, the later ones wait in the scheduler's queue
    expect(s.stats().queued).toBe(2);
    instance.release();
    await flush();
    expect(instance.batches).toHaveLength(3); // a slot came free: the two queued requests went as one batch
    expect(instance.batches[2]![0]!.inputs[0]!.shape).toEqual([2, 2]);
    instance.release();
    instance.release();
    const results = await Promise.all([first, second, ...rest]);
    results.forEach((result, i) => expectAnswers(requests[i]!, result));
    expect(instance.maxOverlap).toBe(2);
  });

  it('refuses the same instance twice (it would then run concurrently)', () => {
    const instance = fakeInstance({ maxBatchSize: 8 });
    expect(() => createScheduler([instance, instance], adaptive, {}, { model: 'm' })).toThrow(/distinct/);
  });

  it('fails every request of a failed batch with a catalogue error, and keeps serving', async () => {
    const instance = fakeInstance({
      maxBatchSize: 8,
      manual: true,
      fail: (r) => ((r.inputs[0]!.data as Float32Array)[0] === -1 ? new Error('boom') : undefined),
    });
    const s = createScheduler(instance, adaptive, { onBatch: () => { throw new Error('a broken metrics hook'); } }, { model: 'm' });
    const first = s.enqueue(rowsRequest(1));
    await flush();
    const bad = { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: Float32Array.of(-1, 0) }] };
    const failed = [rejection(s.enqueue(bad)), rejection(s.enqueue(rowsRequest(1)))];
    instance.release();
    await first; // a throwing hook does not fail the request
    await flush();
    instance.release();
    for (const error of await Promise.all(failed)) {
      expect(error).toMatchObject({ code: 'FERRY_ERR_EXECUTION_FAILED', http: 500, params: { model: 'm', detail: 'boom' } });
    }
    const after = s.enqueue(rowsRequest(1, 3));
    await flush();
    instance.release();
    expectAnswers(rowsRequest(1, 3), await after);
    expect(s.stats().counts).toMatchObject({ failed: 2, completed: 2 });
  });

  it('passes a runtime FerryError through unchanged', async () => {
    const instance = fakeInstance({ maxBatchSize: 8, fail: () => ferryError('FERRY_ERR_TENSOR_DATA', { input: 'x', detail: 'NaN' }) });
    const s = createScheduler(instance, adaptive, {}, { model: 'm' });
    expect((await rejection(s.enqueue(rowsRequest(1)))).code).toBe('FERRY_ERR_TENSOR_DATA');
  });

  it('AIMD: the row limit converges so that execution latency stays under the objective', async () => {
    // Latency 1 ms + 0.1 ms per row; objective 6 ms → the largest batch that meets it is 50 rows.
    const clock = new FakeClock();
    const latency = (rows: number) => 1 + 0.1 * rows;
    // A macrotask per execution keeps the model busy across top-ups, as under real load.
    const instance = fakeInstance({ maxBatchSize: 256, latencyMs: latency, clock, macrotask: true });
    const limits: number[] = [];
    const batches: { rows: number; execMs: number }[] = [];
    const s = createScheduler(
      instance,
      { kind: 'adaptive', maxQueue: 2000, sloMs: 6 },
      { onLimit: (limit) => limits.push(limit), onBatch: (_size, rows, _waits, execMs) => batches.push({ rows, execMs }) },
      { model: 'm', clock },
    );
    await keepQueueFull(s, 1, 80, batches, 150);
    // The second half of the loaded phase; the drain's tail batches are partial by nature.
    const settled = batches.slice(75, 150);
    const rows = settled.map((b) => b.rows);
    expect(Math.max(...rows)).toBeLessThanOrEqual(51);
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(44);
    const meanExec = settled.reduce((sum, b) => sum + b.execMs, 0) / settled.length;
    expect(meanExec).toBeLessThan(6);
    // AIMD probes one step past the objective once per cycle (45 → 51 rows): rare, and by a few percent.
    expect(settled.filter((b) => b.execMs > 6).length / settled.length).toBeLessThanOrEqual(0.2);
    expect(Math.max(...settled.map((b) => b.execMs))).toBeLessThanOrEqual(6 * 1.05);
    expect(limits.length).toBeGreaterThan(10);
    expect(s.stats().limit).toBe(limits.at(-1));
  });

  /** Keeps `queued` requests of `rows` rows waiting until `batches` has `count` entries, then drains. */
  async function keepQueueFull(s: ModelScheduler, rows: number, queued: number, batches: readonly unknown[], count: number): Promise<void> {
    const pending: Promise<ExecuteResult>[] = [];
    while (batches.length < count) {
      while (s.stats().queued < queued) pending.push(s.enqueue(rowsRequest(rows, batches.length)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await s.drain();
    await Promise.all(pending);
  }

  it('AIMD: requests of many rows merge once the objective allows, though they never fill the limit exactly', async () => {
    // 128-row requests, 0.5 ms + 0.01 ms per row against 6 ms: four of them (512 rows, 5.6 ms) meet it, five do not.
    // A limit of, say, 300 holds two of them (256 rows) and leaves the third out: that batch was bounded by the limit.
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 4096, latencyMs: (rows) => 0.5 + 0.01 * rows, clock, macrotask: true });
    const batches: { size: number; rows: number }[] = [];
    const s = createScheduler(instance, { kind: 'adaptive', maxQueue: 64, sloMs: 6, aimdIncrease: 8 }, {
      onBatch: (size, rows) => batches.push({ size, rows }),
    }, { model: 'm', clock });
    await keepQueueFull(s, 128, 32, batches, 150);
    const settled = batches.slice(100, 150);
    expect(Math.min(...settled.map((b) => b.size))).toBeGreaterThanOrEqual(4);
    expect(Math.max(...settled.map((b) => b.rows))).toBeLessThanOrEqual(640); // one probe past the objective
  });

  it('AIMD: tunes to the compute time the instance reports, not to how long its result took to come back', async () => {
    // Every execute() takes 20 ms end to end (a worker's queue, a busy event loop), of which the model computed
    // 1 ms + 0.1 ms per row: the limit settles where the computing meets 6 ms (50 rows), as with no wait at all.
    const clock = new FakeClock();
    const instance = fakeInstance({ maxBatchSize: 256, latencyMs: () => 20, computeMs: (rows) => 1 + 0.1 * rows, clock, macrotask: true });
    const batches: { rows: number; execMs: number }[] = [];
    const s = createScheduler(instance, { kind: 'adaptive', maxQueue: 2000, sloMs: 6 }, {
      onBatch: (_size, rows, _waits, execMs) => batches.push({ rows, execMs }),
    }, { model: 'm', clock });
    await keepQueueFull(s, 1, 80, batches, 150);
    const settled = batches.slice(75, 150);
    expect(Math.min(...settled.map((b) => b.rows))).toBeGreaterThanOrEqual(44);
    expect(Math.max(...settled.map((b) => b.rows))).toBeLessThanOrEqual(51);
    expect(settled.every((b) => b.execMs === 20)).toBe(true); // the execution histogram still shows the whole time
  });
});
