import type { RegistryHealth } from './health.ts';
import type { RegistryStore } from './store.ts';

export interface WatcherOptions {
  readonly store: RegistryStore;
  readonly pollMs: number;
  readonly health: RegistryHealth;
  /** Called after any change commits (at most one call running at a time; changes meanwhile coalesce). */
  readonly onChange: () => Promise<void>;
  readonly logger: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Watches the registry for changes: polls the store's change counter, and where the store pushes (PostgreSQL
 * LISTEN/NOTIFY) reacts at once. When the store cannot be reached, it backs off (doubling up to 30 s), marks the
 * registry degraded, and tries again; what serves keeps serving.
 */
export class RegistryWatcher {
  readonly #options: WatcherOptions;
  #seen = -1;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  #again = false;
  #backoffMs = 0;
  #unsubscribe: (() => Promise<void>) | undefined;
  #subscribing = false;

  constructor(options: WatcherOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    try {
      this.#seen = await this.#options.store.lastChangeId();
    } catch (error) {
      this.#options.health.failed((error as Error).message);
    }
    await this.#subscribe();
    this.#schedule(this.#options.pollMs);
  }

  /** Checks now (a push arrived, or a test wants it). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#check().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #check(): Promise<void> {
    let current: number;
    try {
      current = await this.#options.store.lastChangeId();
    } catch (error) {
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.#options.pollMs, this.#backoffMs * 2 || 1000));
      this.#options.health.failed((error as Error).message);
      this.#options.logger.warn({ reason: (error as Error).message, retry_ms: this.#backoffMs }, 'registry unreachable; serving what is loaded');
      return;
    }
    const recovered = this.#backoffMs > 0;
    this.#backoffMs = 0;
    this.#options.health.ok();
    if (recovered && !this.#unsubscribe) void this.#subscribe();
    if (current === this.#seen && !recovered) return;
    this.#seen = current;
    try {
      await this.#options.onChange();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'applying a registry change failed; the next change or poll retries');
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      this.poke();
      await this.#running;
      this.#schedule(this.#backoffMs || this.#options.pollMs);
    }, ms);
    this.#timer.unref();
  }

  async #subscribe(): Promise<void> {
    if (this.#subscribing || this.#stopped) return;
    this.#subscribing = true;
    try {
      this.#unsubscribe = await this.#options.store.subscribe(() => this.poke(), (error) => {
        this.#unsubscribe = undefined;
        this.#options.logger.warn({ reason: error.message }, 'registry change notifications lost; polling until they are back');
        this.#backoffMs ||= 1000;
      });
    } catch (error) {
      this.#options.health.failed((error as Error).message);
    } finally {
      this.#subscribing = false;
    }
  }
}
