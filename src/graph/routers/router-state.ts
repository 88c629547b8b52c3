import type { RouterSpec } from '../spec.ts';
import { ArmWindow } from './arm-window.ts';
import type { ArmStats } from './bandits.ts';

/**
 * What a router holds at run time: its arms' weights (which management and gates change), the bandit statistics
 * (totals from the state store plus what this process learnt since its last flush) and the gate windows.
 */
export class RouterState {
  readonly spec: RouterSpec;
  weights: number[];
  /** Totals as of the last sync with the state store, plus local deltas. */
  readonly stats: ArmStats[];
  /** Learnt here since the last flush to the state store. */
  readonly pending: ArmStats[];
  readonly windows: ArmWindow[];
  /** Shadow calls in flight: bounded, so that a slow shadow cannot pile up work. */
  shadowsInFlight = 0;
  /** Index of the gate step the canary is on; -1 before stepping starts or after a rollback/promotion. */
  gateStep = -1;
  gateStatus: 'idle' | 'stepping' | 'rolled_back' | 'promoted' = 'idle';

  constructor(spec: RouterSpec) {
    this.spec = spec;
    this.weights = spec.arms.map((arm) => arm.weight ?? (spec.policy === 'shadow' ? 0 : 1 / spec.arms.length));
    if (spec.policy === 'shadow') this.weights[0] = 1;
    this.stats = spec.arms.map(() => ({ pulls: 0, reward: 0 }));
    this.pending = spec.arms.map(() => ({ pulls: 0, reward: 0 }));
    this.windows = spec.arms.map(() => new ArmWindow());
    if (spec.gates) {
      const canary = this.armIndex(spec.gates.canary)!;
      this.setWeight(canary, spec.gates.steps[0]!);
      this.gateStep = 0;
      this.gateStatus = 'stepping';
    }
  }

  armIndex(name: string | number): number | undefined {
    if (typeof name === 'number') return Number.isInteger(name) && name >= 0 && name < this.spec.arms.length ? name : undefined;
    const index = this.spec.arms.findIndex((arm) => arm.name === name);
    return index < 0 ? undefined : index;
  }

  /** Gives `arm` this weight and the other arms the rest, in proportion to what they had (evenly if nothing). */
  setWeight(arm: number, weight: number): void {
    const others = this.weights.reduce((sum, w, i) => (i === arm ? sum : sum + w), 0);
    const n = this.weights.length - 1;
    this.weights = this.weights.map((w, i) => (i === arm ? weight : n === 0 ? 0 : others > 0 ? (w / others) * (1 - weight) : (1 - weight) / n));
  }

  weightsByName(): Record<string, number> {
    return Object.fromEntries(this.spec.arms.map((arm, i) => [arm.name, round(this.weights[i]!)]));
  }

  credit(arm: number, reward: number): void {
    this.stats[arm]!.pulls += 1;
    this.stats[arm]!.reward += reward;
    this.pending[arm]!.pulls += 1;
    this.pending[arm]!.reward += reward;
  }
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
