import { ferryError } from '../../errors/index.ts';
import type { RuntimeLogger } from '../runtime.ts';
import type { SupervisionSettings } from './supervision.ts';
import { delay, WorkerExit, type WorkerHandle } from './worker-handle.ts';

export interface SupervisorOptions<H extends WorkerHandle> {
  readonly model: string;
  readonly version: string;
  /** Starts a worker and loads the model in it; aborted when the load timeout passes. */
  readonly start: (signal: AbortSignal) => Promise<H>;
  readonly settings: SupervisionSettings;
  readonly logger: RuntimeLogger;
  /** The workers keep crashing: the version can no longer serve (the model manager moves it to ERROR). */
  readonly failed?: ((reason: string) => void) | undefined;
}

/**
 * Keeps one worker of a model version alive: every call runs under the request timeout; a worker that exits,
 * hangs past the timeout or misses a ping is replaced, after a back-off that doubles while crashes follow each
 * other; after `maxRestarts` replacements in a row without an answered request, it gives up and reports the
 * version failed. Only the call the worker held fails; calls that arrive meanwhile wait for the replacement.
 */
export class Supervisor<H extends WorkerHandle> {
  readonly #options: SupervisorOptions<H>;
  #handle: H | undefined;
  #replacing: Promise<H> | undefined;
  #crashes = 0;
  #busy = 0;
  #failure: string | undefined;
  #stopped = false;
  #pinging = false;
  readonly #pinger: NodeJS.Timeout | undefined;

  constructor(options: SupervisorOptions<H>) {
    this.#options = options;
    const { pingIntervalMs } = options.settings;
    if (pingIntervalMs > 0) {
      this.#pinger = setInterval(() => void this.#ping(), pingIntervalMs);
      this.#pinger.unref();
    }
  }

  /** Starts the first worker; its failure is the version's load failure. */
  async start(): Promise<H> {
    const handle = await this.#launch();
    this.#adopt(handle);
    return handle;
  }

  /** The live worker, if one is up and nothing is wrong. */
  get live(): H | undefined {
    return this.#handle;
  }

  get busy(): boolean {
    return this.#busy > 0;
  }

  /** Runs `work` on a live worker (waiting for a replacement if one is starting) under the request timeout. */
  async run<T>(work: (handle: H) => Promise<T>): Promise<T> {
    const handle = this.#handle ?? (await this.#awaitReplacement());
    const { requestTimeoutMs } = this.#options.settings;
    this.#busy++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.#retire(handle, `it did not answer within ${requestTimeoutMs} ms`);
          reject(ferryError('FERRY_ERR_WORKER_TIMEOUT', { model: this.#options.model, timeout_ms: requestTimeoutMs, setting: 'runtime.code.request_timeout_seconds' }));
        }, requestTimeoutMs);
      });
      const result = await Promise.race([work(handle), timedOut]);
      this.#crashes = 0;
      return result;
    } catch (error) {
      if (error instanceof WorkerExit) throw ferryError('FERRY_ERR_WORKER_CRASHED', { model: this.#options.model, detail: error.reason }, error);
      throw error;
    } finally {
      clearTimeout(timer);
      this.#busy--;
    }
  }

  /** Stops supervising and ends the worker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#pinger);
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
    await this.#replacing?.then((h) => h.close(), () => undefined);
  }

  async #awaitReplacement(): Promise<H> {
    if (this.#failure !== undefined || this.#stopped || !this.#replacing) {
      throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model: this.#options.model, version: this.#options.version, state: this.#failure ?? 'its worker is stopped' });
    }
    return this.#replacing;
  }

  async #launch(): Promise<H> {
    const controller = new AbortController();
    const { loadTimeoutMs } = this.#options.settings;
    const timer = setTimeout(() => controller.abort(new Error(`the worker did not load the model within ${loadTimeoutMs} ms (setting: runtime.code.load_timeout_seconds)`)), loadTimeoutMs);
    try {
      return await this.#options.start(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  #adopt(handle: H): void {
    this.#handle = handle;
    void handle.exited.then((why) => this.#retire(handle, why));
  }

  /** Takes a worker out of service at once (later calls wait for its replacement) and starts the replacement. */
  #retire(handle: H, why: string): void {
    handle.kill();
    if (this.#handle !== handle || this.#stopped) return;
    this.#handle = undefined;
    this.#options.logger.warn({ model: this.#options.model, version: this.#options.version, reason: why }, 'model worker stopped; replacing it');
    this.#replacing = this.#replace(why);
    this.#replacing.catch(() => undefined);
  }

  async #replace(why: string): Promise<H> {
    const { settings, logger, model, version } = this.#options;
    let last = why;
    for (;;) {
      this.#crashes++;
      if (this.#crashes > settings.maxRestarts) {
        this.#failure = `its worker stopped ${this.#crashes} times in a row (runtime.code.max_restarts is ${settings.maxRestarts}); last: ${last}`;
        this.#replacing = undefined;
        logger.error({ model, version, reason: this.#failure }, 'model workers keep crashing; the version is in ERROR');
        this.#options.failed?.(this.#failure);
        throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model, version, state: this.#failure });
      }
      await delay(Math.min(30_000, settings.restartBackoffMs * 2 ** (this.#crashes - 1)));
      if (this.#stopped) throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model, version, state: 'unloading' });
      try {
        const handle = await this.#launch();
        if (this.#stopped) {
          await handle.close();
          throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model, version, state: 'unloading' });
        }
        this.#replacing = undefined;
        this.#adopt(handle);
        logger.info({ model, version }, 'model worker replaced');
        return handle;
      } catch (error) {
        if (this.#stopped) throw error;
        last = (error as Error).message;
        logger.warn({ model, version, reason: last }, 'model worker replacement failed to start');
      }
    }
  }

  async #ping(): Promise<void> {
    const handle = this.#handle;
    if (!handle || this.#busy > 0 || this.#pinging) return;
    this.#pinging = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const { pingTimeoutMs } = this.#options.settings;
      await Promise.race([handle.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to a ping within ${pingTimeoutMs} ms`)), pingTimeoutMs)))]);
    } catch (error) {
      if (!(error instanceof WorkerExit)) this.#retire(handle, `it hung: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.#pinging = false;
    }
  }
}
