import type { CloudEvent } from 'cloudevents';
import { exchangeEvents, type EventSettings } from './events.ts';
import type { ExchangeObserver, InferExchange } from './exchange.ts';
import { BufferedSink, type DeliveryOptions, type PayloadSink } from './sink.ts';

export interface ModelLogSettings {
  /** Share of exchanges logged, 0 to 1. */
  readonly sampleRate: number;
  /** Input and output names whose values are left out. */
  readonly redact: readonly string[];
}

export interface PayloadLoggerOptions {
  readonly source: string;
  readonly sinks: readonly PayloadSink[];
  readonly delivery: DeliveryOptions;
  readonly defaults: ModelLogSettings;
  /** Per-model settings, each replacing the defaults for its model (redact lists are joined). */
  readonly models?: Readonly<Record<string, Partial<ModelLogSettings>>>;
  /** Draws the sampling number; tests pass a fixed sequence. */
  readonly random?: () => number;
}

interface Resolved {
  readonly sampleRate: number;
  readonly events: EventSettings;
}

/**
 * The payload log: samples exchanges per model, then — after the answer has gone out (setImmediate) — turns each
 * into its CloudEvents and offers them to every sink's bounded buffer. Nothing here waits for a sink, and nothing
 * is allocated for an exchange that the sampling leaves out.
 */
export class PayloadLogger implements ExchangeObserver {
  readonly sinks: readonly BufferedSink[];
  readonly #options: PayloadLoggerOptions;
  readonly #resolved = new Map<string, Resolved>();
  readonly #random: () => number;
  #pending: InferExchange[] = [];
  #scheduled = false;

  constructor(options: PayloadLoggerOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.sinks = options.sinks.map((sink) => new BufferedSink(sink, options.delivery));
  }

  log(exchange: InferExchange): void {
    const settings = this.#settingsOf(exchange.model);
    if (settings.sampleRate < 1 && !(this.#random() < settings.sampleRate)) return;
    // Exchanges waiting to be turned into events are bounded like the sinks' buffers: past that, they are dropped.
    if (this.#pending.length >= this.#options.delivery.maxBuffer) {
      for (const sink of this.sinks) this.#options.delivery.onOutcome?.(sink.sink.name, 'dropped', exchange.request ? 2 : 1);
      return;
    }
    this.#pending.push(exchange);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Hands what is pending to the sinks, sends what they hold, and closes them. */
  async close(): Promise<void> {
    this.#flush();
    await Promise.all(this.sinks.map((sink) => sink.close()));
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (const exchange of pending) {
      // Under overload every buffer may be full: then the events are counted as dropped without being built.
      if (this.sinks.every((sink) => sink.full)) {
        for (const sink of this.sinks) sink.countDropped(exchange.request ? 2 : 1);
        continue;
      }
      let events: CloudEvent<Record<string, unknown>>[];
      try {
        events = exchangeEvents(exchange, this.#settingsOf(exchange.model).events);
      } catch {
        continue; // an exchange that cannot be rendered is not worth failing the others
      }
      for (const sink of this.sinks) for (const event of events) sink.offer(event);
    }
  }

  #settingsOf(model: string): Resolved {
    let resolved = this.#resolved.get(model);
    if (resolved === undefined) {
      const { defaults, models, source } = this.#options;
      const own = models?.[model];
      resolved = {
        sampleRate: own?.sampleRate ?? defaults.sampleRate,
        events: { source, redact: new Set([...defaults.redact, ...(own?.redact ?? [])]) },
      };
      // Model names that are not served (clients' typos) share one entry rather than growing the map.
      if (models === undefined || Object.hasOwn(models, model) || this.#resolved.size < 1024) this.#resolved.set(model, resolved);
    }
    return resolved;
  }
}
