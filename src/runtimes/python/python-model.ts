import { ferryError, isFerryError } from '../../errors/index.ts';
import type { Tensor, TensorMetadata } from '../../tensor/index.ts';
import { isCount, badOption } from '../options.ts';
import type { ExecuteResult, ModelInstance, ModelSpec, RuntimeContext } from '../runtime.ts';
import type { SupervisionSettings } from '../code/supervision.ts';
import { Supervisor } from '../code/supervisor.ts';
import { WorkerExit } from '../code/worker-handle.ts';
import { FRAME, type Frame } from './frames.ts';
import { PythonProcess } from './python-process.ts';
import { declaredSignature, signatureList } from './signature.ts';
import { decodeTensorList, decodeTensors, encodeTensorList, encodeTensors } from './tensor-wire.ts';

/** What the worker loads: a model.py, or an MLflow flavor it serves (settings prepared by the MLflow runtime). */
export type PythonLoad =
  | { readonly kind: 'model_py' }
  | { readonly kind: 'mlflow'; readonly mlflow: Readonly<Record<string, unknown>>; readonly allow_pickle: boolean };

export interface PythonModelOptions {
  readonly spec: ModelSpec;
  readonly ctx: RuntimeContext;
  readonly python: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly supervision: SupervisionSettings;
  readonly load: PythonLoad;
  readonly platform: string;
  /** The signature when Ferry knows it from the files (an MLflow signature); else metadata() or model.yaml. */
  readonly signature?: { readonly inputs: readonly TensorMetadata[]; readonly outputs: readonly TensorMetadata[] };
}

interface Loaded {
  readonly signature: { inputs?: unknown; outputs?: unknown } | null;
  readonly has_ready: boolean;
  /** The model defines predict_batch: it takes a batch as the list of its requests. */
  readonly batches?: boolean;
}

interface ModelFailure {
  readonly type: string;
  readonly message: string;
  readonly traceback: string;
}

/** Starts a supervised Python worker for one instance of a model version and serves it as a ModelInstance. */
export async function loadPythonModel(options: PythonModelOptions): Promise<ModelInstance> {
  const { spec, ctx } = options;
  const model = spec.name;
  const tag = { model, version: spec.version };
  let loaded: Loaded | undefined;

  const start = async (signal: AbortSignal): Promise<PythonProcess> => {
    const worker = new PythonProcess({ python: options.python, model, version: spec.version, cwd: spec.dir.path, logger: ctx.logger, ...(options.env ? { env: options.env } : {}) });
    const abort = () => worker.kill();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const answer = await worker.callJson(FRAME.LOAD, { ...options.load, path: spec.dir.path, declared: spec.declared ?? null });
      if (answer.kind === FRAME.ERROR) {
        const failure = JSON.parse(answer.body.toString()) as ModelFailure;
        ctx.logger.error({ ...tag, worker: worker.pid, traceback: failure.traceback }, 'model failed to load in its worker');
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${failure.type}: ${failure.message}` });
      }
      loaded ??= JSON.parse(answer.body.toString()) as Loaded;
      return worker;
    } catch (error) {
      worker.kill();
      if (signal.aborted) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: (signal.reason as Error).message });
      if (error instanceof WorkerExit) {
        const tail = worker.stderrTail().split('\n').filter(Boolean).at(-1);
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `the Python worker stopped while loading (${error.reason})${tail ? `: ${tail}` : ''}` });
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  };

  const supervisor = new Supervisor({ ...tag, start, settings: options.supervision, logger: ctx.logger, failed: ctx.failed });
  const first = await supervisor.start();
  try {
    const signature = options.signature ?? (loaded?.signature
      ? { inputs: signatureList(model, 'metadata() inputs', loaded.signature.inputs), outputs: signatureList(model, 'metadata() outputs', loaded.signature.outputs) }
      : declaredSignature(spec));
    return pythonInstance(options, supervisor, signature, loaded!);
  } catch (error) {
    await first.close();
    await supervisor.stop();
    throw error;
  }
}

function pythonInstance(
  options: PythonModelOptions,
  supervisor: Supervisor<PythonProcess>,
  io: { readonly inputs: readonly TensorMetadata[]; readonly outputs: readonly TensorMetadata[] },
  loaded: Loaded,
): ModelInstance {
  const hasReady = loaded.has_ready;
  const listed = loaded.batches === true;
  const { spec } = options;
  const model = spec.name;
  const maxBatch = spec.options['max_batch_size'];
  if (maxBatch !== undefined && !isCount(maxBatch)) badOption(model, spec.options, 'max_batch_size', 'a non-negative integer');
  // Rows are merged only when every input has a dynamic first dimension; model.yaml may lower the limit or set 0.
  // predict_batch takes requests as a list, never concatenated: any requests may share a call.
  const batchable = listed || io.inputs.every((t) => t.shape.length > 0 && t.shape[0] === -1);
  let lastReady = true;

  const predict = (request: { inputs: readonly Tensor[] }) =>
    supervisor.run(async (worker) => {
      const { parts, bytes } = encodeTensors(request.inputs);
      const answer = await worker.call(FRAME.PREDICT, parts, bytes);
      if (answer.kind === FRAME.ERROR) throw modelFailure(options, answer, worker.pid);
      return { outputs: declaredOutputs(model, io.outputs, decodeTensors(model, answer.body)) } satisfies ExecuteResult;
    });

  const predictBatch = (batch: readonly { inputs: readonly Tensor[] }[]) =>
    supervisor.run(async (worker) => {
      const { parts, bytes } = encodeTensorList(batch.map((request) => request.inputs));
      const answer = await worker.call(FRAME.PREDICT_BATCH, parts, bytes);
      if (answer.kind === FRAME.ERROR) throw modelFailure(options, answer, worker.pid);
      const lists = decodeTensorList(model, answer.body);
      return lists.map((outputs): ExecuteResult => ({ outputs: declaredOutputs(model, io.outputs, outputs) }));
    });

  return {
    signature: { platform: options.platform, inputs: io.inputs, outputs: io.outputs },
    maxBatchSize: batchable ? (maxBatch as number | undefined) ?? 64 : 0,
    ...(listed ? { unmergedBatches: true } : {}),
    async execute(batch) {
      if (listed) return predictBatch(batch);
      const results: ExecuteResult[] = [];
      for (const request of batch) results.push(await predict(request));
      return results;
    },
    async ready() {
      const worker = supervisor.live;
      if (!worker) return false;
      if (!hasReady || supervisor.busy) return hasReady ? lastReady : true;
      try {
        const answer = await worker.callJson(FRAME.READY, null);
        lastReady = answer.kind === FRAME.READY_ANSWER && JSON.parse(answer.body.toString()) === true;
        if (answer.kind === FRAME.ERROR) modelFailure(options, answer, worker.pid);
      } catch (error) {
        if (!isFerryError(error)) lastReady = false;
      }
      return lastReady;
    },
    unload: () => supervisor.stop(),
  };
}

/** A Python exception: its type and message for the client, its traceback for the log. */
function modelFailure(options: PythonModelOptions, answer: Frame, pid: number | undefined) {
  const failure = JSON.parse(answer.body.toString()) as ModelFailure;
  options.ctx.logger.error({ model: options.spec.name, version: options.spec.version, worker: pid, traceback: failure.traceback }, `model raised ${failure.type}: ${failure.message}`);
  return ferryError('FERRY_ERR_EXECUTION_FAILED', { model: options.spec.name, detail: `${failure.type}: ${failure.message}` });
}

/** The outputs the signature declares, in its order; one missing or of another datatype is the model's fault. */
function declaredOutputs(model: string, declared: readonly TensorMetadata[], returned: readonly Tensor[]): Tensor[] {
  return declared.map((spec) => {
    const tensor = returned.find((t) => t.name === spec.name);
    if (!tensor) {
      throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `predict() returned no output '${spec.name}' (returned: ${returned.map((t) => t.name).join(', ') || 'none'})` });
    }
    if (tensor.datatype !== spec.datatype) {
      throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: `output '${spec.name}' is ${tensor.datatype}, the signature declares ${spec.datatype}` });
    }
    return tensor;
  });
}
