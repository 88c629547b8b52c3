import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelInstance } from '../runtimes/runtime.ts';
import { ModelChecks } from './model-checks.ts';

/** An instance whose readiness check is `ready` (none when undefined). */
function instance(ready?: ModelInstance['ready']): ModelInstance {
  return {
    signature: { platform: 'p', inputs: [], outputs: [] },
    maxBatchSize: 0,
    execute: async () => [],
    unload: async () => {},
    ...(ready === undefined ? {} : { ready }),
  };
}

/** A check that answers when the test says so, counting its calls and keeping the signal it was given. */
function pending() {
  const calls: AbortSignal[] = [];
  let answer: (value: boolean) => void = () => {};
  const check = instance((signal) => {
    calls.push(signal);
    return new Promise<boolean>((resolve) => {
      answer = resolve;
    });
  });
  return { check, calls, answer: (value: boolean) => answer(value) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ModelChecks', () => {
  it('is undefined when no instance has a check of its own', async () => {
    const checks = new ModelChecks(500);
    expect(await checks.check([])).toBeUndefined();
    expect(await checks.check([instance(), instance()])).toBeUndefined();
  });

  it('is ready when every check answers true, sync or async; instances without a check do not count', async () => {
    const checks = new ModelChecks(500);
    expect(await checks.check([instance(() => true), instance(), instance(async () => true)])).toEqual({ ready: true });
  });

  it('is not ready when one check answers false or anything but true, and says so', async () => {
    const checks = new ModelChecks(500);
    expect(await checks.check([instance(() => true), instance(() => false)])).toEqual({ ready: false, reason: 'it answered not ready' });
    expect(await checks.check([instance(async () => 'yes' as unknown as boolean)])).toEqual({ ready: false, reason: 'it answered not ready' });
  });

  it("gives a failing check's error as the reason, the first failing instance's when several fail", async () => {
    const checks = new ModelChecks(500);
    const fails = (thrown: unknown) => instance(() => {
      throw thrown;
    });
    expect(await checks.check([instance(() => true), fails(new Error('database unreachable')), fails(new Error('second'))])).toEqual({ ready: false, reason: 'database unreachable' });
    expect(await checks.check([instance(async () => Promise.reject(new Error('rejected')))])).toEqual({ ready: false, reason: 'rejected' });
    expect(await checks.check([fails('plain text')])).toEqual({ ready: false, reason: 'plain text' });
  });

  it('counts a check that does not answer within the timeout as not ready, and aborts its signal then, not before', async () => {
    vi.useFakeTimers();
    const checks = new ModelChecks(250);
    const slow = pending();
    let result: unknown;
    void checks.check([slow.check]).then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(result).toBeUndefined();
    expect(slow.calls[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toEqual({ ready: false, reason: 'no answer within 250 ms (readiness.check_timeout_ms)' });
    expect(slow.calls[0]!.aborted).toBe(true);
  });

  it('leaves no timer behind and does not abort a check that answered', async () => {
    vi.useFakeTimers();
    const checks = new ModelChecks(250);
    const signals: AbortSignal[] = [];
    expect(await checks.check([instance((signal) => {
      signals.push(signal);
      return true;
    })])).toEqual({ ready: true });
    expect(vi.getTimerCount()).toBe(0);
    expect(signals[0]!.aborted).toBe(false);
  });

  it('joins a check still running instead of starting another, and starts a new one once it has answered', async () => {
    const checks = new ModelChecks(60_000);
    const slow = pending();
    const first = checks.check([slow.check]);
    const second = checks.check([slow.check]);
    await Promise.resolve();
    expect(slow.calls).toHaveLength(1);
    slow.answer(false);
    expect(await first).toEqual({ ready: false, reason: 'it answered not ready' });
    expect(await second).toEqual({ ready: false, reason: 'it answered not ready' });
    const third = checks.check([slow.check]);
    await Promise.resolve();
    expect(slow.calls).toHaveLength(2);
    slow.answer(true);
    expect(await third).toEqual({ ready: true });
  });
});
