import type { GraphArmStats, RegistryStore } from '../../registry/index.ts';
import type { GraphStateStore, TrafficChange } from './state-store.ts';

/** Graph state in the registry store (SQLite or PostgreSQL): traffic changes land in its audit log. */
export class RegistryGraphState implements GraphStateStore {
  readonly kind = 'registry';
  readonly #store: () => RegistryStore;

  /** `store` is asked on each call: the registry may open after the graphs load, or reconnect. */
  constructor(store: () => RegistryStore) {
    this.#store = store;
  }

  addArmStats(graph: string, deltas: readonly GraphArmStats[]): Promise<void> {
    return this.#store().addGraphArmStats(graph, deltas);
  }

  armStats(graph: string): Promise<GraphArmStats[]> {
    return this.#store().graphArmStats(graph);
  }

  setTraffic(graph: string, router: string, weights: Readonly<Record<string, number>>, change: TrafficChange): Promise<void> {
    return this.#store().setGraphTraffic(graph, router, weights, change.action, { name: change.actor });
  }

  traffic(graph: string): Promise<Record<string, Record<string, number>>> {
    return this.#store().graphTraffic(graph);
  }
}
