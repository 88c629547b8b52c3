/**
 * Worker-thread side of the worker session: owns one onnxruntime session and answers run requests, so the
 * model computes on this thread while the server's event loop keeps reading, shedding and answering.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createInProcessSession } from './session.ts';
import { transferList, type RunReply, type RunRequest, type WorkerStart } from './worker-messages.ts';

const start = workerData as WorkerStart;
const port = parentPort!;

createInProcessSession(start.file, start.settings).then(
  (session) => {
    port.postMessage({ kind: 'ready', inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
    port.on('message', (message: RunRequest | { kind: 'release' }) => {
      if (message.kind === 'release') {
        void session.release().finally(() => port.postMessage({ kind: 'released' }));
        return;
      }
      session.run(message.inputs, message.outputNames).then(
        (outputs) => port.postMessage({ kind: 'result', id: message.id, outputs } satisfies RunReply, transferList(outputs)),
        (error: unknown) => port.postMessage({ kind: 'result', id: message.id, error: (error as Error).message } satisfies RunReply),
      );
    });
  },
  (error: unknown) => port.postMessage({ kind: 'failed', error: (error as Error).message }),
);
