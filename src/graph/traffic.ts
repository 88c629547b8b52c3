import { ferryError } from '../errors/index.ts';
import type { GraphMetrics } from '../observe/graph-metrics.ts';
import type { GraphRunner } from './graph-runner.ts';
import type { RouterState } from './routers/router-state.ts';
import type { GraphStateStore } from './state/state-store.ts';

const WEIGHTED = new Set(['split', 'ab', 'shadow']);

/** A router's traffic as the management API shows it. */
export interface TrafficView {
  readonly graph: string;
  readonly router: string;
  readonly policy: string;
  readonly weights: Readonly<Record<string, number>>;
  readonly gates?: { readonly status: string; readonly step: number; readonly steps: readonly number[]; readonly canary: string };
  readonly arms: readonly { readonly name: string; readonly node: string; readonly pulls: number; readonly reward: number }[];
}

/**
 * Run-time traffic changes: set-weights, promote (an arm takes all traffic; a shadow becomes the primary),
 * rollback (the primary takes all traffic back). Each is checked, applied, persisted and audited.
 */
export class TrafficControl {
  readonly #store: () => GraphStateStore | undefined;
  readonly #metrics: GraphMetrics | undefined;

  constructor(store: () => GraphStateStore | undefined, metrics: GraphMetrics | undefined) {
    this.#store = store;
    this.#metrics = metrics;
  }

  view(runner: GraphRunner): TrafficView[] {
    return [...runner.routers.entries()].map(([router, state]) => viewOf(runner.spec.name, router, state));
  }

  async setWeights(runner: GraphRunner, router: string, weights: Readonly<Record<string, number>>, actor: string): Promise<TrafficView> {
    const state = weightedRouter(runner, router);
    const next = state.spec.arms.map((arm) => {
      const w = weights[arm.name];
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1) throw invalid(runner, router, `give every arm a weight in [0, 1] (arms: ${state.spec.arms.map((a) => a.name).join(', ')})`);
      return w;
    });
    for (const name of Object.keys(weights)) if (state.armIndex(name) === undefined) throw invalid(runner, router, `no arm '${name}'`);
    const sum = next.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) throw invalid(runner, router, `weights sum to ${Number(sum.toFixed(6))}, not 1`);
    if (state.spec.policy === 'shadow' && !next.some((w) => w === 1)) throw invalid(runner, router, 'a shadow router sends all traffic to one primary: give it weight 1');
    if (state.gateStatus === 'stepping') state.gateStatus = 'idle'; // an operator's weights stop the automatic steps
    return this.#apply(runner, router, state, next, 'set_weights', actor);
  }

  async promote(runner: GraphRunner, router: string, arm: string, actor: string): Promise<TrafficView> {
    const state = weightedRouter(runner, router);
    const index = state.armIndex(arm);
    if (index === undefined) throw invalid(runner, router, `no arm '${arm}'`);
    state.gateStatus = state.spec.gates ? 'promoted' : state.gateStatus;
    return this.#apply(runner, router, state, state.spec.arms.map((_, i) => (i === index ? 1 : 0)), 'promote', actor);
  }

  /** All traffic back to the primary: the first arm, or with gates the arm that is not the canary. */
  async rollback(runner: GraphRunner, router: string, actor: string, action = 'rollback'): Promise<TrafficView> {
    const state = weightedRouter(runner, router);
    const primary = primaryOf(state);
    if (state.spec.gates) state.gateStatus = 'rolled_back';
    return this.#apply(runner, router, state, state.spec.arms.map((_, i) => (i === primary ? 1 : 0)), action, actor);
  }

  /** A gate step: the canary's weight moves to `weight` (audited like any change, by `ferry-gates`). */
  async step(runner: GraphRunner, router: string, weight: number): Promise<void> {
    const state = runner.routers.get(router)!;
    const canary = state.armIndex(state.spec.gates!.canary)!;
    state.setWeight(canary, weight);
    await this.#apply(runner, router, state, state.weights, 'gate_step', 'ferry-gates');
  }

  async #apply(runner: GraphRunner, router: string, state: RouterState, weights: readonly number[], action: string, actor: string): Promise<TrafficView> {
    state.weights = [...weights];
    const view = viewOf(runner.spec.name, router, state);
    this.publish(runner.spec.name, router, state);
    await this.#store()?.setTraffic(runner.spec.name, router, view.weights, { action, actor });
    return view;
  }

  publish(graph: string, router: string, state: RouterState): void {
    state.spec.arms.forEach((arm, i) => this.#metrics?.armWeight.set({ graph, router, arm: arm.name }, state.weights[i]!));
  }
}

export function primaryOf(state: RouterState): number {
  if (state.spec.gates) return state.spec.arms.findIndex((a) => a.name !== state.spec.gates!.canary);
  return 0;
}

function weightedRouter(runner: GraphRunner, router: string): RouterState {
  const state = runner.routers.get(router);
  if (!state) throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: runner.spec.name, node: router, detail: 'no router of this name' });
  if (!WEIGHTED.has(state.spec.policy)) throw invalid(runner, router, `a ${state.spec.policy} router has no weights to change`);
  return state;
}

function invalid(runner: GraphRunner, router: string, detail: string) {
  return ferryError('FERRY_ERR_GRAPH_INVALID', { graph: runner.spec.name, node: router, detail });
}

function viewOf(graph: string, router: string, state: RouterState): TrafficView {
  const gates = state.spec.gates;
  return {
    graph, router, policy: state.spec.policy, weights: state.weightsByName(),
    ...(gates ? { gates: { status: state.gateStatus, step: state.gateStep, steps: gates.steps, canary: gates.canary } } : {}),
    arms: state.spec.arms.map((arm, i) => ({ name: arm.name, node: arm.node, pulls: state.stats[i]!.pulls, reward: state.stats[i]!.reward })),
  };
}
