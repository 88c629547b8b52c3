import type { CloudEvent } from 'cloudevents';

/**
 * Where payload-log events go. `send` delivers one batch in order or rejects (the whole batch then counts as
 * failed once its attempts are spent); it is never called again before the previous call settles.
 */
export interface PayloadSink {
  /** `file`, `http` or `nats`: the `sink` label of the payload-log metrics. */
  readonly name: string;
  send(events: readonly CloudEvent<unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export type SinkOutcome = 'sent' | 'dropped' | 'failed';

export interface DeliveryOptions {
  /** Events waiting at most; one more is dropped and counted (the request path never waits for a sink). */
  readonly maxBuffer: number;
  /** Events per send. */
  readonly maxBatch: number;
  /** Tries per batch, the first included; after the last one the batch is dropped as failed. */
  readonly maxAttempts: number;
  /** Wait before the second try; doubled for each try after it. */
  readonly retryDelayMs: number;
  /** Counts events by outcome; must not throw. */
  readonly onOutcome?: (sink: string, outcome: SinkOutcome, events: number) => void;
}

/**
 * A sink behind a bounded buffer: `offer` never waits and never throws; a full buffer drops the event and counts
 * it. One batch is in flight at a time, retried with exponential backoff up to `maxAttempts`.
 */
export class BufferedSink {
  readonly sink: PayloadSink;
  readonly #options: DeliveryOptions;
  readonly #buffer: CloudEvent<unknown>[] = [];
  #sending: Promise<void> | undefined;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #wakeRetry: (() => void) | undefined;

  constructor(sink: PayloadSink, options: DeliveryOptions) {
    this.sink = sink;
    this.#options = options;
  }

  /** Queues an event; false when it was dropped because the buffer is full or the sink closed. */
  offer(event: CloudEvent<unknown>): boolean {
    if (this.#closed || this.#buffer.length >= this.#options.maxBuffer) {
      this.#count('dropped', 1);
      return false;
    }
    this.#buffer.push(event);
    this.#sending ??= this.#drain();
    return true;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Whether the next offer would be dropped. */
  get full(): boolean {
    return this.#closed || this.#buffer.length >= this.#options.maxBuffer;
  }

  /** Counts events that were never offered because every buffer was full (they were not even built). */
  countDropped(events: number): void {
    this.#count('dropped', events);
  }

  /**
   * Sends what is buffered (one try per batch, no waiting between tries), then closes the sink. After `graceMs`
   * the events still buffered are counted as dropped, so that a sink that hangs cannot hold up a shutdown.
   */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#wakeRetry?.();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.#sending, graceOver]);
    clearTimeout(timer);
    const left = this.#buffer.splice(0);
    if (left.length > 0) this.#count('dropped', left.length);
    await Promise.race([this.sink.close(), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer.splice(0, this.#options.maxBatch);
        await this.#deliver(batch);
      }
    } finally {
      this.#sending = undefined;
    }
  }

  async #deliver(batch: readonly CloudEvent<unknown>[]): Promise<void> {
    let delay = this.#options.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sink.send(batch);
        this.#count('sent', batch.length);
        return;
      } catch {
        if (attempt >= this.#options.maxAttempts || this.#closed) {
          this.#count('failed', batch.length);
          return;
        }
      }
      await new Promise<void>((resolve) => {
        this.#wakeRetry = resolve;
        this.#retryTimer = setTimeout(resolve, delay);
        this.#retryTimer.unref();
      });
      delay *= 2;
    }
  }

  #count(outcome: SinkOutcome, events: number): void {
    try {
      this.#options.onOutcome?.(this.sink.name, outcome, events);
    } catch {
      // counting must never break delivery
    }
  }
}
