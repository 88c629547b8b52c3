/**
 * Worker-thread side of the worker session: owns one onnxruntime session and answers run requests, so the
 * model computes on this thread while the server's event loop keeps reading, shedding and answering. Runs go one
 * at a time, in order; one cancelled while it waited (its mark on the cancel board) is skipped, not run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createInProcessSession } from './session.ts';
import { CANCEL_SLOTS, cancelMark, transferList, type RunReply, type RunRequest, type WorkerStart } from './worker-messages.ts';

const start = workerData as WorkerStart;
const port = parentPort!;

let turn = Promise.resolve();

createInProcessSession(start.file, start.settings).then(
  (session) => {
    const runOne = async (message: RunRequest): Promise<void> => {
      if (Atomics.load(start.cancelled, message.id % CANCEL_SLOTS) === cancelMark(message.id)) {
        port.postMessage({ kind: 'result', id: message.id, skipped: true } satisfies RunReply);
        return;
      }
      try {
        const startedAt = performance.now();
        const { outputs } = await session.run(message.inputs, message.outputNames);
        const computeMs = performance.now() - startedAt;
        port.postMessage({ kind: 'result', id: message.id, outputs, computeMs } satisfies RunReply, transferList(outputs));
      } catch (error) {
        port.postMessage({ kind: 'result', id: message.id, error: (error as Error).message } satisfies RunReply);
      }
    };
    port.postMessage({ kind: 'ready', inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
    port.on('message', (message: RunRequest | { kind: 'release' }) => {
      if (message.kind === 'release') {
        void session.release().finally(() => port.postMessage({ kind: 'released' }));
        return;
      }
      // One run at a time, so that the cancel board is read when a run starts, not when its message came in.
      turn = turn.then(() => runOne(message));
    });
  },
  (error: unknown) => port.postMessage({ kind: 'failed', error: (error as Error).message }),
);
