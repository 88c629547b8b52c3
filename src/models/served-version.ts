import type { ModelInstance } from '../runtimes/runtime.ts';
import { ferryError } from '../errors/index.ts';
import type { Executor } from './executor.ts';
import { canTransition, type VersionState } from './lifecycle.ts';
import { newStatistics, type VersionStatistics } from './stats.ts';

/** One version of one model as the manager holds it: its state, and once AVAILABLE its instance and queue. */
export class ServedVersion {
  readonly model: string;
  readonly version: number;
  readonly stamp: string;
  readonly stats: VersionStatistics = newStatistics();
  state: VersionState = 'START';
  reason: string | undefined;
  instance: ModelInstance | undefined;
  executor: Executor | undefined;

  constructor(model: string, version: number, stamp: string) {
    this.model = model;
    this.version = version;
    this.stamp = stamp;
  }

  transition(to: VersionState, reason?: string): void {
    if (to !== 'ERROR' && !canTransition(this.state, to)) {
      throw ferryError('FERRY_ERR_INTERNAL', { detail: `model ${this.model} v${this.version}: ${this.state} → ${to}` });
    }
    this.state = to;
    this.reason = reason;
  }

  get available(): boolean {
    return this.state === 'AVAILABLE';
  }
}
