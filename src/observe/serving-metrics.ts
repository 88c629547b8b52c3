import { Counter, Gauge, type Registry } from 'prom-client';
import { TallyHistogram } from './tally-histogram.ts';

type VersionLabels = 'model' | 'version';
const SECONDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

export interface QueueProbe {
  queued(): number;
  limit(): number;
}

/** Scheduler, cache and feedback metrics, registered on the server's registry. */
export class ServingMetrics {
  readonly #probes = new Map<string, { labels: Record<VersionLabels, string>; probe: QueueProbe }>();
  readonly batchRequests: TallyHistogram<VersionLabels>;
  readonly batchRows: TallyHistogram<VersionLabels>;
  readonly queueWait: TallyHistogram<VersionLabels>;
  readonly execution: TallyHistogram<VersionLabels>;
  readonly shed: Counter<VersionLabels>;
  readonly expired: Counter<VersionLabels>;
  readonly cache: Counter<'model' | 'version' | 'result'>;
  readonly cacheEvents: Counter<'event'>;
  readonly feedback: Counter<'model'>;
  readonly feedbackReward: Counter<'model'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['model', 'version'] as const;
    // Observed per batch and per request: bound series whose observations skip prom-client's label hashing.
    this.batchRequests = new TallyHistogram({ name: 'ferry_batch_requests', help: 'Requests merged into one model execution', labelNames, buckets: SIZES, registers });
    this.batchRows = new TallyHistogram({ name: 'ferry_batch_rows', help: 'Rows along the batch dimension in one model execution', labelNames, buckets: SIZES, registers });
    this.queueWait = new TallyHistogram({ name: 'ferry_queue_wait_seconds', help: 'Time a request waited in its model queue', labelNames, buckets: SECONDS, registers });
    this.execution = new TallyHistogram({ name: 'ferry_execution_seconds', help: 'Time of one model execution (a whole batch)', labelNames, buckets: SECONDS, registers });
    this.shed = new Counter({ name: 'ferry_shed_total', help: 'Requests refused because the model queue was full (429)', labelNames, registers });
    this.expired = new Counter({ name: 'ferry_expired_total', help: 'Requests answered at their deadline (504 or default output): it passed while they waited or ran', labelNames, registers });
    const probes = this.#probes;
    new Gauge({
      name: 'ferry_queue_depth', help: 'Requests waiting in a model queue', labelNames, registers,
      collect() {
        this.reset();
        for (const { labels, probe } of probes.values()) this.set(labels, probe.queued());
      },
    });
    new Gauge({
      name: 'ferry_batch_limit', help: 'Current row limit per execution (adaptive batching tunes it)', labelNames, registers,
      collect() {
        this.reset();
        for (const { labels, probe } of probes.values()) this.set(labels, probe.limit());
      },
    });
    this.cache = new Counter({ name: 'ferry_cache_requests_total', help: 'Prediction cache look-ups by result (hit, miss)', labelNames: ['model', 'version', 'result'], registers });
    this.cacheEvents = new Counter({ name: 'ferry_cache_events_total', help: 'Prediction cache evictions and swallowed backend errors', labelNames: ['event'], registers });
    this.feedback = new Counter({ name: 'ferry_feedback_total', help: 'Feedback messages received (Seldon /feedback)', labelNames: ['model'], registers });
    this.feedbackReward = new Counter({ name: 'ferry_feedback_reward_total', help: 'Sum of positive rewards received as feedback', labelNames: ['model'], registers });
  }

  /** Exposes a model version's queue depth and batch limit until the returned function is called. */
  watchQueue(model: string, version: string, probe: QueueProbe): () => void {
    const key = `${model}\u0000${version}`;
    this.#probes.set(key, { labels: { model, version }, probe });
    return () => this.#probes.delete(key);
  }
}
