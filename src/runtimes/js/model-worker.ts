/**
 * Worker-thread side of the JS runtime: imports the model module, loads it, and answers predict, ready and ping
 * messages one at a time. A throw in the model is the request's answer; the thread carries on.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '../../tensor/index.ts';
import type { ModelDefinition } from './define-model.ts';
import type { JsReply, JsRequest, JsWorkerStart } from './messages.ts';

const start = workerData as JsWorkerStart;
const port = parentPort!;
const send = (reply: JsReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
const failure = (error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: e.name, message: e.message, stack: e.stack ?? e.message };
};

async function main(): Promise<void> {
  let model: ModelDefinition;
  try {
    const module = (await import(pathToFileURL(start.file).href)) as { default?: ModelDefinition };
    if (!module.default || typeof module.default.predict !== 'function' || !module.default.signature) {
      throw new TypeError('the module must export default defineModel({ signature, predict })');
    }
    model = module.default;
    await model.load?.(start.dir);
  } catch (error) {
    send({ kind: 'load-error', ...failure(error) });
    return;
  }
  const { inputs, outputs } = model.signature;
  send({ kind: 'loaded', signature: { inputs: [...inputs], outputs: [...outputs] }, hasReady: typeof model.ready === 'function' });

  let turn = Promise.resolve();
  port.on('message', (message: JsRequest) => {
    turn = turn.then(() => answer(model, message));
  });
}

async function answer(model: ModelDefinition, message: JsRequest): Promise<void> {
  if (message.kind === 'ping') return send({ kind: 'pong', id: message.id });
  try {
    if (message.kind === 'ready') return send({ kind: 'ready', id: message.id, ready: (await model.ready?.()) !== false });
    if (message.kind !== 'predict') return undefined;
    const inputs: Record<string, Tensor> = {};
    for (const tensor of message.inputs) inputs[tensor.name] = tensor;
    const started = performance.now();
    const outputs = await model.predict(inputs);
    send({ kind: 'result', id: message.id, outputs, computeMs: performance.now() - started });
  } catch (error) {
    send({ kind: 'error', id: message.id, ...failure(error) });
  }
}

void main();
