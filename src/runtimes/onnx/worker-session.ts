import { Worker } from 'node:worker_threads';
import type ort from 'onnxruntime-node';
import type { OnnxSession, SessionRun, SessionSettings } from './session.ts';
import { CANCEL_SLOTS, cancelMark, compactForTransfer, transferList, type RunReply, type RunRequest, type WorkerStart } from './worker-messages.ts';

type Ready = { kind: 'ready'; inputMetadata: ort.InferenceSession.ValueMetadata[]; outputMetadata: ort.InferenceSession.ValueMetadata[] };

/**
 * A session on a worker thread of its own (model.yaml `options: {execution: worker}`): the model computes there,
 * so the event loop stays free to read requests and answer (429s, other models) while a batch runs. Costs a copy
 * of the inputs (none for a merged batch, whose buffers move) and a thread hop (tens of µs) per execution.
 */
export async function createWorkerSession(file: string, settings: SessionSettings): Promise<OnnxSession> {
  const cancelled = new Int32Array(new SharedArrayBuffer(CANCEL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(new URL('./session-worker.ts', import.meta.url), { workerData: { file, settings, cancelled } satisfies WorkerStart });
  const pending = new Map<number, { resolve: (run: SessionRun) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;

  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once('message', (message: Ready | { kind: 'failed'; error: string }) => {
      if (message.kind === 'ready') resolve(message);
      else reject(new Error(message.error));
    });
    worker.once('error', reject);
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });

  const failAll = (error: Error) => {
    dead = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on('message', (message: RunReply | { kind: 'released' }) => {
    if (message.kind !== 'result') return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.skipped) waiter?.reject(new Error('cancelled before the worker thread started it'));
    else if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve({ outputs: message.outputs, computeMs: message.computeMs });
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`onnxruntime worker thread exited (${code})`)));

  return {
    inputMetadata: ready.inputMetadata,
    outputMetadata: ready.outputMetadata,
    async run(inputs, outputNames, inputsMovable = false, signal) {
      if (dead) throw dead;
      const id = nextId++;
      const moved = await compactForTransfer(inputs, inputsMovable);
      if (dead) throw dead;
      // A run still waiting behind another when its signal fires is skipped by the thread. Marks are per run id,
      // so a stale mark in a shared slot never matches a later run.
      const cancel = () => Atomics.store(cancelled, id % CANCEL_SLOTS, cancelMark(id));
      signal?.addEventListener('abort', cancel, { once: true });
      if (signal?.aborted) cancel(); // while its inputs were being copied
      const done = () => signal?.removeEventListener('abort', cancel);
      return new Promise<SessionRun>((resolve, reject) => {
        pending.set(id, { resolve: (run) => (done(), resolve(run)), reject: (error) => (done(), reject(error)) });
        worker.postMessage({ kind: 'run', id, inputs: moved, outputNames } satisfies RunRequest, transferList(moved));
      });
    },
    async release() {
      if (!dead) {
        const released = new Promise<void>((resolve) => worker.on('message', (m: { kind: string }) => m.kind === 'released' && resolve()));
        worker.postMessage({ kind: 'release' });
        await Promise.race([released, new Promise((r) => setTimeout(r, 2000))]);
      }
      await worker.terminate();
    },
  };
}
