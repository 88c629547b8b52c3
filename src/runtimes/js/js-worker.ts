import { Worker } from 'node:worker_threads';
import type { Tensor } from '../../tensor/index.ts';
import type { RuntimeLogger } from '../runtime.ts';
import { WorkerExit, type WorkerHandle } from '../code/worker-handle.ts';
import type { JsReply, JsWorkerStart } from './messages.ts';

type Loaded = Extract<JsReply, { kind: 'loaded' }>;
type Answer = Exclude<JsReply, { kind: 'loaded' | 'load-error' }>;

/** One JS model on its own worker thread; calls in flight when the thread ends are rejected with WorkerExit. */
export class JsWorker implements WorkerHandle {
  readonly exited: Promise<string>;
  readonly loaded: Promise<Loaded>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  #nextId = 1;
  #exitReason: string | undefined;

  constructor(start: JsWorkerStart, tag: { model: string; version: string }, logger: RuntimeLogger) {
    this.#worker = new Worker(new URL('./model-worker.ts', import.meta.url), { workerData: start, stdout: true, stderr: true });
    const copy = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      this.#worker[stream].on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) logger[stream === 'stdout' ? 'info' : 'warn']({ ...tag, worker: this.#worker.threadId, stream }, line);
      });
    };
    copy('stdout');
    copy('stderr');
    let onLoaded: (loaded: Loaded) => void;
    let onLoadError: (error: Error) => void;
    this.loaded = new Promise((resolve, reject) => {
      onLoaded = resolve;
      onLoadError = reject;
    });
    this.#worker.on('message', (reply: JsReply) => {
      if (reply.kind === 'loaded') return onLoaded(reply);
      if (reply.kind === 'load-error') return onLoadError(Object.assign(new Error(`${reply.type}: ${reply.message}`), { stack: reply.stack }));
      const pending = this.#pending.get(reply.id!);
      if (!pending) return;
      this.#pending.delete(reply.id!);
      pending.resolve(reply);
    });
    this.exited = new Promise((resolve) => {
      const stopped = (reason: string) => {
        if (this.#exitReason !== undefined) return;
        this.#exitReason = reason;
        onLoadError(new WorkerExit(reason));
        for (const pending of this.#pending.values()) pending.reject(new WorkerExit(reason));
        this.#pending.clear();
        resolve(reason);
      };
      this.#worker.on('error', (error) => stopped(`worker thread failed: ${error.message}`));
      this.#worker.on('exit', (code) => stopped(`worker thread exited with code ${code}`));
    });
    this.loaded.catch(() => undefined);
  }

  call(message: { kind: 'predict'; inputs: readonly Tensor[] } | { kind: 'ready' | 'ping' }): Promise<Answer> {
    if (this.#exitReason !== undefined) return Promise.reject(new WorkerExit(this.#exitReason));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  async ping(): Promise<void> {
    await this.call({ kind: 'ping' });
  }

  kill(): void {
    if (this.#exitReason === undefined) void this.#worker.terminate();
  }

  async close(): Promise<void> {
    this.kill();
    await this.exited;
  }
}
