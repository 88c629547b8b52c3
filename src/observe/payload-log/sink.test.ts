import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { BufferedSink, type PayloadSink, type SinkOutcome } from './sink.ts';

const event = (n: number) => new CloudEvent({ id: String(n), type: 't', source: '/s' }, false);

/** A sink whose sends wait until released, and fail while `failing` says so; it records what it was sent. */
function controlledSink(failing: (call: number) => boolean = () => false) {
  const sent: string[][] = [];
  let calls = 0;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const sink: PayloadSink = {
    name: 'test',
    async send(events) {
      const call = calls++;
      if (gate) await gate;
      if (failing(call)) throw new Error('sink down');
      sent.push(events.map((e) => e.id));
    },
    async close() {},
  };
  return {
    sink, sent, calls: () => calls,
    hold() {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    open() {
      gate = undefined;
      release?.();
    },
  };
}

function counter() {
  const counts: Record<SinkOutcome, number> = { sent: 0, dropped: 0, failed: 0 };
  return { counts, onOutcome: (_sink: string, outcome: SinkOutcome, n: number) => (counts[outcome] += n) };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('BufferedSink', () => {
  it('holds exactly max_buffer events while the sink is stuck; the next one is dropped and counted, never awaited', async () => {
    const target = controlledSink();
    const { counts, onOutcome } = counter();
    const buffered = new BufferedSink(target.sink, { maxBuffer: 4, maxBatch: 2, maxAttempts: 1, retryDelayMs: 0, onOutcome });
    target.hold();
    expect(buffered.offer(event(0))).toBe(true); // taken at once into the first batch, which is stuck
    await settle();
    for (let n = 1; n <= 4; n++) expect(buffered.offer(event(n))).toBe(true);
    expect(buffered.buffered).toBe(4);
    // A plain false, not a promise: the caller has nothing to wait for while the sink is stuck.
    expect(buffered.offer(event(5))).toBe(false);
    expect(counts.dropped).toBe(1);
    target.open();
    await buffered.close();
    expect(target.sent).toEqual([['0'], ['1', '2'], ['3', '4']]);
    expect(counts).toEqual({ sent: 5, dropped: 1, failed: 0 });
  });

  it('retries a failing batch up to max_attempts with a doubling delay, then counts it as failed and goes on', async () => {
    const target = controlledSink((call) => call < 3); // the first batch fails 3 times, the second batch succeeds
    const { counts, onOutcome } = counter();
    const buffered = new BufferedSink(target.sink, { maxBuffer: 10, maxBatch: 1, maxAttempts: 3, retryDelayMs: 10, onOutcome });
    const started = performance.now();
    buffered.offer(event(1));
    buffered.offer(event(2));
    while (counts.sent + counts.failed < 2) await settle();
    expect(performance.now() - started).toBeGreaterThanOrEqual(30); // 10 ms, then 20 ms between the three tries
    expect(target.calls()).toBe(4);
    expect(target.sent).toEqual([['2']]);
    expect(counts).toEqual({ sent: 1, dropped: 0, failed: 1 });
  });

  it('a batch that succeeds on its last try is sent, not failed', async () => {
    const target = controlledSink((call) => call < 2);
    const { counts, onOutcome } = counter();
    const buffered = new BufferedSink(target.sink, { maxBuffer: 10, maxBatch: 5, maxAttempts: 3, retryDelayMs: 1, onOutcome });
    buffered.offer(event(1));
    while (counts.sent + counts.failed === 0) await settle();
    expect(counts).toEqual({ sent: 1, dropped: 0, failed: 0 });
    expect(target.calls()).toBe(3);
    await buffered.close();
  });

  it('close gives a stuck sink its grace, then counts what is still buffered as dropped', async () => {
    const target = controlledSink();
    const { counts, onOutcome } = counter();
    const buffered = new BufferedSink(target.sink, { maxBuffer: 10, maxBatch: 1, maxAttempts: 1, retryDelayMs: 0, onOutcome });
    target.hold();
    for (let n = 0; n < 4; n++) buffered.offer(event(n));
    const started = performance.now();
    await buffered.close(50);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(counts.dropped).toBe(3); // the batch in flight is still the sink's; the three behind it are dropped
    target.open();
  });

  it('after close, offers are dropped and counted', async () => {
    const target = controlledSink();
    const { counts, onOutcome } = counter();
    const buffered = new BufferedSink(target.sink, { maxBuffer: 10, maxBatch: 5, maxAttempts: 1, retryDelayMs: 0, onOutcome });
    await buffered.close();
    expect(buffered.offer(event(1))).toBe(false);
    expect(counts.dropped).toBe(1);
  });
});
