import { Counter, Gauge, type Registry } from 'prom-client';
import { TallyHistogram, type TallySeries } from './tally-histogram.ts';

const NODE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Inference-graph metrics: per node (calls, latency, errors) and per router arm (requests, rewards, shadow
 * agreement, canary weight and rollbacks). Label values come from deployment files, so the series are bounded.
 */
/** A node's call tallies: plain numbers on the request path, read into the counter when scraped. */
export interface NodeCallTally {
  ok: number;
  error: number;
}

type NodeLabel = 'graph' | 'node' | 'type';

export class GraphMetrics {
  readonly nodeLatency: TallyHistogram<NodeLabel>;
  readonly #nodeCalls = new Map<string, { labels: Record<NodeLabel, string>; tally: NodeCallTally }>();
  readonly armRequests: Counter<'graph' | 'router' | 'arm'>;
  readonly armFeedback: Counter<'graph' | 'router' | 'arm'>;
  readonly armReward: Counter<'graph' | 'router' | 'arm'>;
  readonly shadowCompared: Counter<'graph' | 'router' | 'arm' | 'outcome'>;
  readonly shadowMaxAbsDiff: Gauge<'graph' | 'router' | 'arm'>;
  readonly armWeight: Gauge<'graph' | 'router' | 'arm'>;
  readonly rollbacks: Counter<'graph' | 'router' | 'arm' | 'gate'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const nodeCalls = this.#nodeCalls;
    // Per-node label hashing on every call would cost more than a small node: tallies, read when scraped.
    new Counter({
      name: 'ferry_graph_node_calls_total', help: 'Graph node executions by graph, node, node type and outcome (ok, error)', labelNames: ['graph', 'node', 'type', 'outcome'], registers,
      collect() {
        this.reset();
        for (const { labels, tally } of nodeCalls.values()) {
          if (tally.ok > 0) this.inc({ ...labels, outcome: 'ok' }, tally.ok);
          if (tally.error > 0) this.inc({ ...labels, outcome: 'error' }, tally.error);
        }
      },
    });
    this.nodeLatency = new TallyHistogram({ name: 'ferry_graph_node_duration_seconds', help: 'Graph node execution time, inputs excluded', labelNames: ['graph', 'node', 'type'], buckets: NODE_BUCKETS, registers });
    this.armRequests = new Counter({ name: 'ferry_graph_arm_requests_total', help: 'Requests a router sent to each arm (shadows: mirrored requests)', labelNames: ['graph', 'router', 'arm'], registers });
    this.armFeedback = new Counter({ name: 'ferry_graph_arm_feedback_total', help: 'Feedback messages credited to each arm', labelNames: ['graph', 'router', 'arm'], registers });
    this.armReward = new Counter({ name: 'ferry_graph_arm_reward_total', help: 'Sum of rewards credited to each arm', labelNames: ['graph', 'router', 'arm'], registers });
    this.shadowCompared = new Counter({ name: 'ferry_graph_shadow_comparisons_total', help: 'Shadow answers compared with the primary: agree, disagree, or error (the shadow failed)', labelNames: ['graph', 'router', 'arm', 'outcome'], registers });
    this.shadowMaxAbsDiff = new Gauge({ name: 'ferry_graph_shadow_max_abs_diff', help: 'Largest absolute difference between the last shadow answer and the primary', labelNames: ['graph', 'router', 'arm'], registers });
    this.armWeight = new Gauge({ name: 'ferry_graph_arm_weight', help: 'Traffic weight of each arm of a split router now', labelNames: ['graph', 'router', 'arm'], registers });
    this.rollbacks = new Counter({ name: 'ferry_graph_rollbacks_total', help: 'Canaries rolled back automatically, by the gate that failed', labelNames: ['graph', 'router', 'arm', 'gate'], registers });
  }

  /** The call tallies and latency series of one node, created on first use and kept (a reloaded graph adds on). */
  nodeSeries(labels: Readonly<Record<NodeLabel, string>>): { calls: NodeCallTally; latency: TallySeries } {
    const key = `${labels.graph}\u0000${labels.node}\u0000${labels.type}`;
    let entry = this.#nodeCalls.get(key);
    if (entry === undefined) {
      entry = { labels: { ...labels }, tally: { ok: 0, error: 0 } };
      this.#nodeCalls.set(key, entry);
    }
    return { calls: entry.tally, latency: this.nodeLatency.labels(labels) };
  }
}
