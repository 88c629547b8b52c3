import type { GraphArmStats } from '../../registry/index.ts';
import type { GraphRunner } from '../graph-runner.ts';
import type { GraphStateStore } from './state-store.ts';

/**
 * Brings a graph's routers in step with the state store: writes what its bandits learnt since the last sync
 * (additive), then reads every replica's totals and the traffic weights set at run time.
 */
export async function syncGraphState(runner: GraphRunner, store: GraphStateStore, restoring = false): Promise<void> {
  const graph = runner.spec.name;
  const deltas: GraphArmStats[] = [];
  const taken: { state: NonNullable<ReturnType<typeof runner.routers.get>>; index: number; pulls: number; reward: number }[] = [];
  for (const [router, state] of runner.routers) {
    state.pending.forEach((p, index) => {
      if (p.pulls === 0 && p.reward === 0) return;
      deltas.push({ router, arm: state.spec.arms[index]!.name, pulls: p.pulls, reward: p.reward });
      taken.push({ state, index, pulls: p.pulls, reward: p.reward });
      state.pending[index] = { pulls: 0, reward: 0 };
    });
  }
  try {
    await store.addArmStats(graph, deltas);
  } catch (error) {
    // Not written: keep it for the next sync.
    for (const t of taken) {
      t.state.pending[t.index]!.pulls += t.pulls;
      t.state.pending[t.index]!.reward += t.reward;
    }
    throw error;
  }
  const [totals, traffic] = await Promise.all([store.armStats(graph), store.traffic(graph)]);
  for (const [router, state] of runner.routers) {
    state.spec.arms.forEach((arm, index) => {
      const total = totals.find((t) => t.router === router && t.arm === arm.name);
      const pending = state.pending[index]!;
      // Totals include every replica's flushed learning; what was credited here since is added on top.
      state.stats[index] = { pulls: (total?.pulls ?? 0) + pending.pulls, reward: (total?.reward ?? 0) + pending.reward };
    });
    const weights = traffic[router];
    if (weights !== undefined && state.spec.arms.every((arm) => typeof weights[arm.name] === 'number')) {
      state.weights = state.spec.arms.map((arm) => weights[arm.name]!);
      if (restoring && state.spec.gates) restoreGate(state, weights[state.spec.gates.canary]!);
    }
  }
}

/** Where a canary's automatic steps stand after a restart, from the weight it was left at. */
function restoreGate(state: NonNullable<ReturnType<GraphRunner['routers']['get']>>, canaryWeight: number): void {
  const steps = state.spec.gates!.steps;
  const step = steps.findIndex((w) => Math.abs(w - canaryWeight) < 1e-9);
  if (canaryWeight === 0) {
    state.gateStatus = 'rolled_back';
    state.gateStep = -1;
  } else if (step >= 0) {
    state.gateStep = step;
    state.gateStatus = step === steps.length - 1 ? 'promoted' : 'stepping';
  } else {
    state.gateStatus = canaryWeight === 1 ? 'promoted' : 'idle';
  }
}
