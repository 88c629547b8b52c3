import type { Metric, Registry } from 'prom-client';

export interface TallyHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds in ascending order; `+Inf` is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export interface TallySeries {
  observe(value: number): void;
  /** Observations so far (what a `_count` line reports). */
  readonly count: number;
}

interface Series<L extends string> extends TallySeries {
  readonly labels: Readonly<Record<L, string>>;
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly perBucket: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  readonly labels: Record<string, string | number>;
  /** The series' own labels, printed after `le` as prom-client prints them. */
  readonly sharedLabels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
}

interface Exported<V> {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: V[];
}

/**
 * A Prometheus histogram whose series are bound once and whose observations cost a bucket increment.
 * prom-client 15 validates and hashes the label set on every observe(), bound child or not (~0.6 µs), and a model
 * server observes several times per request. The registry reads these series at scrape time in prom-client's own
 * format (cumulative `_bucket` lines with `le`, then `+Inf`, `_sum` and `_count`; tally-histogram.test.ts compares
 * the text with prom-client's Histogram fed the same values).
 */
export class TallyHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series<L>>();

  constructor(config: TallyHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.#labelNames = config.labelNames;
    this.#bounds = config.buckets;
    if (config.buckets.some((bound, i) => i > 0 && bound <= config.buckets[i - 1]!)) throw new Error(`${config.name}: buckets must ascend`);
    // The registry needs only name, get() and reset() of a metric; prom-client's types list its own classes alone.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values, created on first use and kept. */
  labels(labels: Readonly<Record<L, string>>): TallySeries {
    const key = this.#labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      const bounds = this.#bounds;
      const created: Series<L> = {
        labels: { ...labels },
        perBucket: new Float64Array(bounds.length + 1),
        sum: 0,
        count: 0,
        observe(value: number) {
          if (!Number.isFinite(value)) return; // never throw on the request path; prom-client would
          let bucket = 0;
          while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
          created.perBucket[bucket]! += 1;
          created.sum += value;
          created.count += 1;
        },
      };
      series = created;
      this.#series.set(key, series);
    }
    return series;
  }

  /** Every series as the registry prints it (the registry prefers this to get() for the text format). */
  async getForPromString(): Promise<Exported<ExportedValue>> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.#series.values()) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.perBucket[i]!;
        values.push({ labels: { le: bound }, sharedLabels, value: cumulative, metricName: bucketName });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: bucketName },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same values with each series' labels merged in, as prom-client's get() returns them (JSON, cluster). */
  async get(): Promise<Exported<{ labels: Record<string, string | number>; value: number; metricName: string }>> {
    const exported = await this.getForPromString();
    return { ...exported, values: exported.values.map(({ labels, sharedLabels, value, metricName }) => ({ labels: { ...labels, ...sharedLabels }, value, metricName })) };
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.perBucket.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
