import { Counter, Gauge, type Registry } from 'prom-client';

/** Every state a model version can be in (TF Serving's names), each a series of the state gauge. */
const STATES = ['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END', 'ERROR'] as const;

export interface VersionStateView {
  readonly model: string;
  readonly version: string;
  readonly state: string;
}

/** What the model manager knows when scraped: each version's state, and which models serve a fallback version. */
export interface ModelStateProbe {
  versions(): Iterable<VersionStateView>;
  /** Models whose selected version failed, each with the older version that serves in its place. */
  fallbacks(): Iterable<{ readonly model: string; readonly version: string }>;
}

/**
 * Model lifecycle metrics for alerting: `ferry_model_version_state` (1 for the state a version is in, 0 for the
 * others, as kube-state-metrics reports phases), `ferry_model_load_failures_total` and `ferry_model_fallback`
 * (1 while a model serves an older version because the one its policy selects failed to load).
 */
export class ModelMetrics {
  readonly loadFailures: Counter<'model' | 'version'>;
  readonly #watched: { probe?: ModelStateProbe } = {};

  constructor(registry: Registry) {
    const registers = [registry];
    const watched = this.#watched;
    new Gauge({
      name: 'ferry_model_version_state',
      help: 'Model version state: 1 for the state the version is in (START, LOADING, AVAILABLE, UNLOADING, END, ERROR), 0 for the others',
      labelNames: ['model', 'version', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const v of watched.probe?.versions() ?? []) {
          for (const state of STATES) this.set({ model: v.model, version: v.version, state }, v.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'ferry_model_fallback',
      help: 'Models serving an older version because the version their policy selects failed to load (version: the one serving)',
      labelNames: ['model', 'version'] as const,
      registers,
      collect() {
        this.reset();
        for (const f of watched.probe?.fallbacks() ?? []) this.set({ model: f.model, version: f.version }, 1);
      },
    });
    this.loadFailures = new Counter({
      name: 'ferry_model_load_failures_total',
      help: 'Failed loads of a model version (the version stays in ERROR with its reason in model status)',
      labelNames: ['model', 'version'] as const,
      registers,
    });
  }

  /** Reads states from `probe` at each scrape. */
  watch(probe: ModelStateProbe): void {
    this.#watched.probe = probe;
  }
}
