/** Whether the registry could be reached lately, for readiness detail and metrics. */
export interface RegistryHealthState {
  readonly reachable: boolean;
  /** Why not, when not. */
  readonly detail?: string;
  /** Epoch ms of the last successful contact. */
  readonly lastContact?: number;
  /** Consecutive failures since then. */
  readonly failures: number;
}

/** Tracks registry reachability; servers keep serving what they have while it is unreachable. */
export class RegistryHealth {
  #state: RegistryHealthState = { reachable: true, failures: 0 };
  readonly #listeners: ((state: RegistryHealthState) => void)[] = [];

  get state(): RegistryHealthState {
    return this.#state;
  }

  onChange(listener: (state: RegistryHealthState) => void): void {
    this.#listeners.push(listener);
  }

  ok(): void {
    const was = this.#state.reachable;
    this.#state = { reachable: true, lastContact: Date.now(), failures: 0 };
    if (!was) this.#emit();
  }

  failed(detail: string): void {
    const failures = this.#state.failures + 1;
    this.#state = { reachable: false, detail, failures, ...(this.#state.lastContact !== undefined ? { lastContact: this.#state.lastContact } : {}) };
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener(this.#state);
  }
}
