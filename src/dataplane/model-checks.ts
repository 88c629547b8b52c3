import type { ModelInstance } from '../runtimes/runtime.ts';

export interface CheckResult {
  readonly ready: boolean;
  readonly reason?: string;
}

/**
 * Runs the optional `ModelInstance.ready()` of each instance of a served version, all at once, each bounded by
 * `timeoutMs`. A check still running from an earlier probe is joined rather than started again, so a slow check
 * never piles up under a probe that asks every second. Undefined when no instance has a check.
 */
export class ModelChecks {
  readonly #timeoutMs: number;
  readonly #running = new WeakMap<ModelInstance, Promise<CheckResult>>();

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  async check(instances: readonly ModelInstance[]): Promise<CheckResult | undefined> {
    const checked = instances.filter((instance) => instance.ready !== undefined);
    if (checked.length === 0) return undefined;
    const results = await Promise.all(checked.map((instance) => this.#checkOne(instance)));
    return results.find((result) => !result.ready) ?? { ready: true };
  }

  #checkOne(instance: ModelInstance): Promise<CheckResult> {
    let running = this.#running.get(instance);
    if (running) return running;
    running = this.#run(instance).finally(() => this.#running.delete(instance));
    this.#running.set(instance, running);
    return running;
  }

  async #run(instance: ModelInstance): Promise<CheckResult> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ ready: false, reason: `no answer within ${this.#timeoutMs} ms (readiness.check_timeout_ms)` });
      }, this.#timeoutMs);
    });
    const answered = (async (): Promise<CheckResult> => {
      try {
        return (await instance.ready!(controller.signal)) === true ? { ready: true } : { ready: false, reason: 'it answered not ready' };
      } catch (error) {
        return { ready: false, reason: error instanceof Error ? error.message : String(error) };
      }
    })();
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
