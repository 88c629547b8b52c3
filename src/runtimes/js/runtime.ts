import { ferryError } from '../../errors/index.ts';
import type { ExecuteResult, ModelInstance, Runtime } from '../runtime.ts';
import { SUPERVISION_OPTIONS, supervisionFor } from '../code/supervision.ts';
import { Supervisor } from '../code/supervisor.ts';
import { WorkerExit } from '../code/worker-handle.ts';
import { resolveModelFile } from '../model-path.ts';
import { badOption, isCount, refuseUnknownOptions } from '../options.ts';
import { requireCodeAllowed, type CodeRuntimeSettings } from '../python/code-settings.ts';
import { signatureList } from '../python/signature.ts';
import { JsWorker } from './js-worker.ts';
import { signatureOutputs } from './outputs.ts';

const FILES = ['model.mjs', 'model.js', 'model.ts'];

/**
 * Models as JavaScript or TypeScript code: `model.mjs`, `model.js` or `model.ts` exporting `defineModel(...)`,
 * run on a supervised worker thread per instance (the same supervision and opt-in as Python models).
 */
export function createJsRuntime(settings: CodeRuntimeSettings): Runtime {
  return {
    name: 'js',
    async canLoad(dir) {
      return FILES.some((f) => dir.files.includes(f));
    },
    async load(spec, ctx): Promise<ModelInstance> {
      const name = FILES.find((f) => spec.dir.files.includes(f)) ?? 'model.js';
      requireCodeAllowed(settings, spec.name, name);
      refuseUnknownOptions(spec.name, 'js', spec.options, ['max_batch_size', ...SUPERVISION_OPTIONS]);
      const maxBatch = spec.options['max_batch_size'] ?? 64;
      if (!isCount(maxBatch)) badOption(spec.name, spec.options, 'max_batch_size', 'a non-negative integer');
      const file = await resolveModelFile(spec.name, spec.dir, name);
      const tag = { model: spec.name, version: spec.version };
      let loaded: Awaited<JsWorker['loaded']> | undefined;
      const start = async (signal: AbortSignal) => {
        const worker = new JsWorker({ file, dir: spec.dir.path }, tag, ctx.logger);
        signal.addEventListener('abort', () => worker.kill(), { once: true });
        try {
          loaded ??= await worker.loaded;
          await worker.loaded;
          return worker;
        } catch (error) {
          worker.kill();
          const detail = signal.aborted ? (signal.reason as Error).message : error instanceof WorkerExit ? `the worker thread stopped while loading (${error.reason})` : (error as Error).message;
          if (!(error instanceof WorkerExit)) ctx.logger.error({ ...tag, stack: (error as Error).stack }, 'JS model failed to load');
          throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail });
        }
      };
      const supervisor = new Supervisor({ ...tag, start, settings: supervisionFor(spec.name, settings.supervision, spec.options), logger: ctx.logger, failed: ctx.failed });
      await supervisor.start();
      let io;
      try {
        io = { inputs: signatureList(spec.name, 'signature.inputs', loaded!.signature.inputs), outputs: signatureList(spec.name, 'signature.outputs', loaded!.signature.outputs) };
      } catch (error) {
        await supervisor.stop();
        throw error;
      }
      const batchable = io.inputs.every((t) => t.shape.length > 0 && t.shape[0] === -1);
      let lastReady = true;
      return {
        signature: { platform: 'js', inputs: io.inputs, outputs: io.outputs },
        maxBatchSize: batchable ? maxBatch : 0,
        async execute(batch) {
          const results: ExecuteResult[] = [];
          for (const request of batch) {
            results.push(await supervisor.run(async (worker) => {
              const answer = await worker.call({ kind: 'predict', inputs: request.inputs });
              if (answer.kind === 'error') {
                ctx.logger.error({ ...tag, stack: answer.stack }, `model threw ${answer.type}: ${answer.message}`);
                throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model: spec.name, detail: `${answer.type}: ${answer.message}` });
              }
              if (answer.kind !== 'result') throw ferryError('FERRY_ERR_INTERNAL', { detail: `unexpected ${answer.kind} from a JS model worker` });
              const rows = batchable ? request.inputs[0]?.shape[0] : undefined;
              return { outputs: signatureOutputs(spec.name, io.outputs, answer.outputs, rows), computeMs: answer.computeMs };
            }));
          }
          return results;
        },
        async ready() {
          const worker = supervisor.live;
          if (!worker) return false;
          if (!loaded!.hasReady) return true;
          // A busy worker answers after its predict: the last answer stands meanwhile.
          if (supervisor.busy) return lastReady;
          const answer = await worker.call({ kind: 'ready' });
          lastReady = answer.kind === 'ready' && answer.ready;
          return lastReady;
        },
        unload: () => supervisor.stop(),
      };
    },
  };
}
