import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { TallyHistogram, type TallySeries } from './tally-histogram.ts';
import { GraphMetrics } from './graph-metrics.ts';
import { ModelMetrics } from './model-metrics.ts';
import { RegistryMetrics } from './registry-metrics.ts';
import { ServingMetrics } from './serving-metrics.ts';

type InferLabel = 'model' | 'version' | 'protocol' | 'status';
const INFER_LABELS: readonly InferLabel[] = ['model', 'version', 'protocol', 'status'];

/** Latency buckets in seconds: from 100 µs to 10 s, dense where served models answer. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface InferMetricEvent {
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly status: number;
  readonly seconds: number;
}

/** Prometheus metrics for one server; a registry of its own so several servers can live in one process. */
export class FerryMetrics {
  readonly registry = new Registry();
  readonly serving = new ServingMetrics(this.registry);
  readonly registryHealth = new RegistryMetrics(this.registry);
  readonly models = new ModelMetrics(this.registry);
  readonly graphs = new GraphMetrics(this.registry);
  readonly payloadLog = new Counter({
    name: 'ferry_payload_log_events_total',
    help: 'Payload-log events by sink and outcome: sent, dropped (the buffer was full) or failed (every try failed)',
    labelNames: ['sink', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #latency: TallyHistogram<InferLabel>;
  /**
   * Each series' labels and latency tally. The label sets are bounded: model names come from the repository (the
   * data plane counts unknown names under one label).
   */
  readonly #series = new Map<string, { labels: Record<InferLabel, string>; latency: TallySeries }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ferry_process_' });
    const series = this.#series;
    // The request counter is the latency histogram's count per series, set from it when scraped: one tally per
    // request instead of two label-hashing prom-client calls.
    new Counter({
      name: 'ferry_inference_requests_total',
      help: 'Inference requests by model, version, protocol and HTTP-style status',
      labelNames: INFER_LABELS,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, latency } of series.values()) this.inc(labels, latency.count);
      },
    });
    this.#latency = new TallyHistogram({
      name: 'ferry_inference_request_duration_seconds',
      help: 'Inference request latency inside the server (decode to encode excluded), by model, version, protocol and status',
      labelNames: INFER_LABELS,
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  onInfer(event: InferMetricEvent): void {
    const key = `${event.model}\u0000${event.version}\u0000${event.protocol}\u0000${event.status}`;
    let entry = this.#series.get(key);
    if (!entry) {
      const labels = { model: event.model, version: event.version, protocol: event.protocol, status: String(event.status) };
      entry = { labels, latency: this.#latency.labels(labels) };
      this.#series.set(key, entry);
    }
    entry.latency.observe(event.seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
