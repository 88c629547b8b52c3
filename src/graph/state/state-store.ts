import type { GraphArmStats } from '../../registry/index.ts';

/** Who changed traffic, as the audit log records it. */
export interface TrafficChange {
  readonly action: string;
  readonly actor: string;
}

/**
 * Where graphs keep what must outlive a process and be shared by replicas: bandit statistics (added to, so that
 * replicas learn together) and traffic weights set at run time (audited). The registry store when there is one,
 * else a file in the data directory.
 */
export interface GraphStateStore {
  readonly kind: string;
  addArmStats(graph: string, deltas: readonly GraphArmStats[]): Promise<void>;
  armStats(graph: string): Promise<GraphArmStats[]>;
  setTraffic(graph: string, router: string, weights: Readonly<Record<string, number>>, change: TrafficChange): Promise<void>;
  traffic(graph: string): Promise<Record<string, Record<string, number>>>;
}
