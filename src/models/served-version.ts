import type { ModelConfig } from '../repository/index.ts';
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
  /** The instance whose signature is served; `instances` holds it and any parallel copies. */
  instance: ModelInstance | undefined;
  instances: readonly ModelInstance[] = [];
  executor: Executor | undefined;
  readonly config: ModelConfig;
  /** Load attempts so far, and when a failed load may be tried again (a transient failure: source unreachable). */
  attempts = 0;
  retryAt: number | undefined;

  constructor(model: string, version: number, stamp: string, config: ModelConfig) {
    this.model = model;
    this.version = version;
    this.stamp = stamp;
    this.config = config;
  }

  transition(to: VersionState, reason?: string): void {
    if (to !== 'ERROR' && !canTransition(this.state, to)) {
      throw ferryError('FERRY_ERR_INTERNAL', { detail: `model ${this.model} v${this.version}: ${this.state} → ${to}` });
    }
    this.state = to;
    this.reason = reason;
  }

  retryDue(now = Date.now()): boolean {
    return this.state === 'ERROR' && this.retryAt !== undefined && now >= this.retryAt;
  }

  get available(): boolean {
    return this.state === 'AVAILABLE';
  }
}
