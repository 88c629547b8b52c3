import type { GraphMetrics } from '../observe/graph-metrics.ts';
import type { GraphRunner } from './graph-runner.ts';
import { primaryOf, type TrafficControl } from './traffic.ts';
import type { RouterState } from './routers/router-state.ts';
import type { GatesSpec } from './spec.ts';

export type GateVerdict = { readonly verdict: 'wait' } | { readonly verdict: 'pass' } | { readonly verdict: 'fail'; readonly gate: string; readonly detail: string };

/**
 * Judges one window of a canary against its primary (pure): wait while the canary answered fewer than
 * `min_requests`; fail on the first gate it breaks (error rate, p99 latency, shadow agreement); else pass.
 */
export function judgeWindow(
  gates: GatesSpec,
  canary: { errorRate: number; p99: number; requests: number },
  primary: { errorRate: number; p99: number },
  agreement: number | undefined,
): GateVerdict {
  if (canary.requests < gates.min_requests) return { verdict: 'wait' };
  if (gates.max_error_rate_increase !== undefined && canary.errorRate - primary.errorRate > gates.max_error_rate_increase) {
    return { verdict: 'fail', gate: 'error_rate', detail: `canary error rate ${pct(canary.errorRate)} against ${pct(primary.errorRate)}` };
  }
  if (gates.max_p99_ratio !== undefined && primary.p99 > 0 && canary.p99 / primary.p99 > gates.max_p99_ratio) {
    return { verdict: 'fail', gate: 'p99', detail: `canary p99 ${canary.p99.toFixed(1)} ms against ${primary.p99.toFixed(1)} ms` };
  }
  if (gates.min_agreement !== undefined && agreement !== undefined && agreement < gates.min_agreement) {
    return { verdict: 'fail', gate: 'agreement', detail: `shadow agreement ${pct(agreement)}` };
  }
  return { verdict: 'pass' };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/**
 * Steps canaries through their weights while their gates hold, and rolls a canary back (audited, counted in
 * `ferry_graph_rollbacks_total`) the window one fails. One timer for every graph of a server.
 */
export class GateController {
  readonly #graphs: () => Iterable<GraphRunner>;
  readonly #traffic: TrafficControl;
  readonly #metrics: GraphMetrics | undefined;
  readonly #onEvent: (event: { graph: string; router: string; action: string; detail: string }) => void;
  readonly #windowStart = new WeakMap<RouterState, number>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(graphs: () => Iterable<GraphRunner>, traffic: TrafficControl, metrics: GraphMetrics | undefined, onEvent: GateController['onEvent']) {
    this.#graphs = graphs;
    this.#traffic = traffic;
    this.#metrics = metrics;
    this.#onEvent = onEvent;
  }

  get onEvent() {
    return this.#onEvent;
  }

  start(tickMs = 100): void {
    this.#timer = setInterval(() => void this.tick(), tickMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async tick(now = performance.now()): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const runner of this.#graphs()) {
        for (const [router, state] of runner.routers) {
          if (state.spec.gates && state.gateStatus === 'stepping') await this.#judge(runner, router, state, state.spec.gates, now);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  async #judge(runner: GraphRunner, router: string, state: RouterState, gates: GatesSpec, now: number): Promise<void> {
    const started = this.#windowStart.get(state);
    if (started === undefined) {
      this.#windowStart.set(state, now);
      return;
    }
    const canaryIndex = state.armIndex(gates.canary)!;
    const canary = state.windows[canaryIndex]!;
    const primary = state.windows[primaryOf(state)]!;
    const agreement = agreementOf(runner, state.spec.arms[canaryIndex]!.node);
    const verdict = judgeWindow(gates, { errorRate: canary.errorRate(), p99: canary.p99(), requests: canary.requests }, { errorRate: primary.errorRate(), p99: primary.p99() }, agreement);
    const graph = runner.spec.name;
    if (verdict.verdict === 'fail') {
      this.#metrics?.rollbacks.inc({ graph, router, arm: gates.canary, gate: verdict.gate });
      await this.#traffic.rollback(runner, router, 'ferry-gates', 'auto_rollback');
      this.#onEvent({ graph, router, action: 'auto_rollback', detail: `${verdict.gate}: ${verdict.detail}` });
      return;
    }
    // A failing gate acts at once; a step waits for the whole window.
    if (now - started < gates.window_seconds * 1000 || verdict.verdict === 'wait') return;
    for (const w of state.windows) w.reset();
    this.#windowStart.set(state, now);
    const next = state.gateStep + 1;
    if (next >= gates.steps.length) {
      state.gateStatus = 'promoted';
      this.#onEvent({ graph, router, action: 'gates_passed', detail: `canary '${gates.canary}' held every gate up to weight ${gates.steps.at(-1)}` });
      return;
    }
    state.gateStep = next;
    await this.#traffic.step(runner, router, gates.steps[next]!);
    if (next === gates.steps.length - 1) state.gateStatus = 'promoted';
    this.#onEvent({ graph, router, action: 'gate_step', detail: `canary '${gates.canary}' to weight ${gates.steps[next]}` });
  }
}

/** Shadow agreement of a canary's node, from a shadow router in the same graph that mirrors to it. */
function agreementOf(runner: GraphRunner, node: string): number | undefined {
  for (const state of runner.routers.values()) {
    if (state.spec.policy !== 'shadow') continue;
    const index = state.spec.arms.findIndex((a) => a.node === node);
    if (index >= 0) return state.windows[index]!.agreement();
  }
  return undefined;
}
