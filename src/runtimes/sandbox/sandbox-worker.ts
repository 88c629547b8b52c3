/**
 * Worker-thread side of the load sandbox: loads a model exactly as the server would, then drops it. The thread runs
 * under the heap limit its parent gave it, so a file that would exhaust memory kills this thread only.
 */
import { parentPort } from 'node:worker_threads';
import { isFerryError } from '../../errors/index.ts';
import type { Runtime, RuntimeContext } from '../runtime.ts';
import type { CheckReply, CheckRequest, SandboxedRuntime } from './sandbox-messages.ts';

const port = parentPort!;
const silent = (): void => {};
const context: RuntimeContext = { logger: { debug: silent, info: silent, warn: silent, error: silent }, threads: { intraOp: 1, interOp: 1 } };

/** Each runtime's module is imported on first use: a check of a PMML file does not load the XGBoost code. */
const FACTORIES: Record<SandboxedRuntime, () => Promise<Runtime>> = {
  xgboost: async () => (await import('../xgboost/index.ts')).xgboostRuntime(),
  lightgbm: async () => (await import('../lightgbm/index.ts')).lightgbmRuntime(),
  sklearn: async () => (await import('../sklearn/index.ts')).createSklearnRuntime(),
  pmml: async () => (await import('../pmml/index.ts')).pmmlRuntime(),
};
const runtimes = new Map<SandboxedRuntime, Promise<Runtime>>();

port.on('message', (request: CheckRequest) => {
  void check(request).then((reply) => port.postMessage(reply));
});

async function check(request: CheckRequest): Promise<CheckReply> {
  try {
    let runtime = runtimes.get(request.runtime);
    if (!runtime) runtimes.set(request.runtime, (runtime = FACTORIES[request.runtime]()));
    const instance = await (await runtime).load(request.spec, context);
    await instance.unload();
    return { id: request.id, ok: true };
  } catch (error) {
    if (isFerryError(error)) return { id: request.id, ok: false, code: error.code, params: error.params };
    return { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
