import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { RuntimeLogger } from '../runtime.ts';
import { WorkerExit, type WorkerHandle } from '../code/worker-handle.ts';
import { FRAME, FrameReader, frameHeader, type Frame } from './frames.ts';

/** workers/python/run_worker.py in this package. */
export const WORKER_SCRIPT = path.resolve(import.meta.dirname, '../../../workers/python/run_worker.py');

export interface PythonProcessOptions {
  readonly python: string;
  readonly model: string;
  readonly version: string;
  readonly cwd: string;
  readonly logger: RuntimeLogger;
  readonly env?: Readonly<Record<string, string>>;
}

const STDERR_TAIL = 20;

/**
 * One Python worker process. Frames go out on its fd 3 and come back on its fd 4; its stdout and stderr are
 * copied line by line to Ferry's log, tagged with the model, the version and the worker's pid.
 */
export class PythonProcess implements WorkerHandle {
  readonly exited: Promise<string>;
  readonly pid: number | undefined;
  readonly #child: ChildProcess;
  readonly #input: Writable;
  readonly #pending = new Map<number, { resolve(frame: Frame): void; reject(error: Error): void }>();
  readonly #stderr: string[] = [];
  #nextId = 1;
  #exitReason: string | undefined;

  constructor(options: PythonProcessOptions) {
    const { logger, model, version } = options;
    this.#child = spawn(options.python, ['-u', WORKER_SCRIPT, '3', '4'], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    });
    this.pid = this.#child.pid;
    this.#input = this.#child.stdio[3] as Writable;
    this.#input.on('error', () => undefined); // a dead worker's pipe: the exit handler answers the calls
    const output = this.#child.stdio[4] as Readable;
    const reader = new FrameReader();
    output.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) this.#answer(frame);
    });
    output.on('error', () => undefined);
    const tag = { model, version, worker: this.pid };
    createInterface({ input: this.#child.stdout! }).on('line', (line) => logger.info({ ...tag, stream: 'stdout' }, line));
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_TAIL) this.#stderr.shift();
      logger.warn({ ...tag, stream: 'stderr' }, line);
    });
    this.exited = new Promise((resolve) => {
      const stopped = (reason: string) => {
        if (this.#exitReason !== undefined) return;
        this.#exitReason = reason;
        for (const pending of this.#pending.values()) pending.reject(new WorkerExit(reason));
        this.#pending.clear();
        resolve(reason);
      };
      this.#child.on('error', (error) => stopped(`could not start ${options.python}: ${error.message}`));
      this.#child.on('exit', (code, signal) => stopped(signal ? `worker killed by ${signal}` : `worker exited with code ${code}`));
    });
  }

  /** The last lines the worker wrote to stderr (a Python traceback at start-up explains a failed load). */
  stderrTail(): string {
    return this.#stderr.join('\n');
  }

  /** Sends one frame; resolves with the worker's answer to it. */
  call(kind: number, parts: readonly Uint8Array[], bytes: number): Promise<Frame> {
    if (this.#exitReason !== undefined) return Promise.reject(new WorkerExit(this.#exitReason));
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#input.cork();
      this.#input.write(frameHeader(kind, id, bytes));
      for (const part of parts) if (part.byteLength > 0) this.#input.write(part);
      this.#input.uncork();
    });
  }

  callJson(kind: number, value: unknown): Promise<Frame> {
    const body = Buffer.from(JSON.stringify(value));
    return this.call(kind, [body], body.length);
  }

  async ping(): Promise<void> {
    await this.call(FRAME.PING, [], 0);
  }

  kill(): void {
    if (this.#exitReason === undefined) this.#child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (this.#exitReason !== undefined) return;
    this.#input.end();
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  #answer(frame: Frame): void {
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id);
    pending.resolve(frame);
  }
}
