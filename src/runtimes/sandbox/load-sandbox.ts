import { Worker } from 'node:worker_threads';
import { ferryError } from '../../errors/index.ts';
import type { ModelSpec } from '../runtime.ts';
import type { CheckReply, CheckRequest, SandboxedRuntime } from './sandbox-messages.ts';

export interface LoadSandboxOptions {
  /** Heap the sandbox thread may use for one load (`repository.load_memory_mb`). */
  readonly memoryMb: number;
  /** Time one load may take there (`repository.load_timeout_seconds`). */
  readonly timeoutMs: number;
  /** The thread is stopped after this long without work, to give its memory back (default 30 s). */
  readonly idleMs?: number;
}

/**
 * Loads a model file once on a worker thread with a heap limit and a deadline before the server loads it for real.
 * A file that would exhaust the heap or never finish loading costs that thread, never the server: the check fails
 * with an error naming the limit, and the next check starts a fresh thread. A file that loads there loads the same
 * way on the server's thread (loading is deterministic), within the same memory and time.
 *
 * Checks run one at a time (the model manager loads one version at a time anyway).
 */
export class LoadSandbox {
  readonly #options: LoadSandboxOptions;
  #worker: Worker | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LoadSandboxOptions) {
    this.#options = options;
  }

  /** Resolves when `spec` loads with `runtime` on the sandbox thread; rejects with the load's own error, or a limit's. */
  check(runtime: SandboxedRuntime, spec: ModelSpec): Promise<void> {
    const run = this.#queue.then(() => this.#checkNow(runtime, spec));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #checkNow(runtime: SandboxedRuntime, spec: ModelSpec): Promise<void> {
    if (this.#closed) return Promise.reject(ferryError('FERRY_ERR_SHUTTING_DOWN'));
    clearTimeout(this.#idle);
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    const { memoryMb, timeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.#idle = setTimeout(() => void this.#stop(worker), this.#options.idleMs ?? 30_000).unref();
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (reply: CheckReply): void => {
        if (reply.id !== id) return;
        if (reply.ok) settle();
        else if ('code' in reply) settle(ferryError(reply.code, reply.params));
        else settle(new Error(reply.message));
      };
      const onError = (error: Error & { code?: string }): void => {
        void this.#stop(worker);
        const detail = error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `loading it needs more than ${memoryMb} MiB of memory (setting: repository.load_memory_mb)`
          : `loading it stopped the load sandbox (${error.message})`;
        settle(ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail }));
      };
      const onExit = (code: number): void => {
        this.#forget(worker);
        settle(ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `the load sandbox stopped while loading it (exit code ${code})` }));
      };
      const timer = setTimeout(() => {
        void this.#stop(worker);
        settle(ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
          model: spec.name, detail: `loading it took longer than ${timeoutMs / 1000} s (setting: repository.load_timeout_seconds)`,
        }));
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ id, runtime, spec } satisfies CheckRequest);
    });
  }

  #start(): Worker {
    const worker = new Worker(new URL('./sandbox-worker.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.#options.memoryMb },
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #forget(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined;
  }

  async #stop(worker: Worker): Promise<void> {
    this.#forget(worker);
    await worker.terminate();
  }
}
