import { Worker } from 'node:worker_threads';
import { ferryError } from '../../errors/index.ts';
import { DECODERS, type DecodeJobs, type DecodeKind } from './decode-jobs.ts';
import type { DecodeReply, DecodeTask } from './messages.ts';
import { unpackRequest } from './transfer.ts';
import { copyInSlices } from '../../tensor/index.ts';

/**
 * Bodies from this size on are decoded on a decode thread: JSON.parse and the walk that turns parsed lists into
 * tensors are single steps that grow with the body (about a second for a 64 MiB body), and the event loop must not
 * stall for that long. Below it a decode takes a few milliseconds and the thread's round trip would cost more.
 */
export const DECODE_THREAD_MIN_BYTES = 1024 * 1024;
/** Decode threads: a second one lets two large bodies decode at once; more would only take cores from the event loop. */
const THREADS = 2;

type Result<K extends DecodeKind> = DecodeJobs[K]['result'];

/** Whether a body of this many bytes (the part that needs parsing) is decoded on a decode thread. */
export function decodesOffThread(bytes: number): boolean {
  return bytes >= DECODE_THREAD_MIN_BYTES;
}

/** Decodes on the event loop: for bodies below DECODE_THREAD_MIN_BYTES. */
export function decodeHere<K extends DecodeKind>(kind: K, body: Buffer, args: DecodeJobs[K]['args']): Result<K> {
  return (DECODERS[kind] as (body: Buffer, args: DecodeJobs[K]['args']) => Result<K>)(body, args);
}

/** Decodes on a decode thread, with the errors decodeHere would throw; the body is copied, never detached. */
export async function decodeOffThread<K extends DecodeKind>(kind: K, body: Buffer, args: DecodeJobs[K]['args']): Promise<Result<K>> {
  const copy = await copyInSlices(body);
  const reply = await pool.run({ id: 0, kind, body: copy, args }, [copy.buffer]);
  if ('ferry' in reply) throw ferryError(reply.ferry.code, reply.ferry.params);
  if ('failure' in reply) throw new Error(reply.failure); // as unexpected as on the event loop: an internal error
  const { request } = reply.result;
  return (request === undefined ? reply.result : { ...reply.result, request: await unpackRequest(request) }) as Result<K>;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, (reply: DecodeReply) => void>;
}

/**
 * The process's decode threads, started with the server (startDecodeThreads) or else when the first large body
 * comes, and kept (unreferenced: they never keep the process alive). A task goes to the thread with the fewest in
 * hand; a thread that dies fails its tasks with an internal error and is replaced by the next task that needs one.
 */
class DecodePool {
  readonly #threads: Thread[] = [];
  #nextId = 1;

  /** Starts the threads not yet running. */
  fill(): void {
    while (this.#threads.length < THREADS) this.#start();
  }

  run(task: DecodeTask, transfer: ArrayBuffer[]): Promise<DecodeReply> {
    const thread = this.#pick();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      thread.pending.set(id, resolve);
      thread.worker.postMessage({ ...task, id }, transfer);
    });
  }

  #pick(): Thread {
    const idle = this.#threads.find((t) => t.pending.size === 0);
    if (idle !== undefined) return idle;
    if (this.#threads.length < THREADS) return this.#start();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  #start(): Thread {
    const worker = new Worker(new URL('./decode-worker.ts', import.meta.url));
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    this.#threads.push(thread);
    worker.on('message', (reply: DecodeReply) => {
      const resolve = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      resolve?.(reply);
    });
    const fail = (reason: string) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      for (const [id, resolve] of thread.pending) resolve({ id, failure: reason });
      thread.pending.clear();
    };
    worker.on('error', (error) => fail(`the decode thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`the decode thread exited with code ${code}`));
    return thread;
  }
}

const pool = new DecodePool();

/**
 * Starts the decode threads ahead of the first large body: starting one (a thread, its modules loaded) costs the
 * event loop tens of milliseconds, which the first large request would otherwise wait through.
 */
export function startDecodeThreads(): void {
  pool.fill();
}

/** Decodes where its size says: on a decode thread from DECODE_THREAD_MIN_BYTES on, else here. */
export async function decodeBody<K extends DecodeKind>(kind: K, body: Buffer, args: DecodeJobs[K]['args']): Promise<Result<K>> {
  return decodesOffThread(body.length) ? decodeOffThread(kind, body, args) : decodeHere(kind, body, args);
}
