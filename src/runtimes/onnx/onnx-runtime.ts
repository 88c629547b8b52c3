import type ort from 'onnxruntime-node';
import { ferryError } from '../../errors/index.ts';
import type { InferRequest, TensorMetadata } from '../../tensor/index.ts';
import { MAX_RANK } from '../model-limits.ts';
import { resolveModelFile } from '../model-path.ts';
import { badChoice, badOption, isCount, refuseUnknownOptions } from '../options.ts';
import type { ExecuteResult, ModelDir, ModelInstance, ModelSignature, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { v2FromOrt } from './datatypes.ts';
import { createInProcessSession, type OnnxSession } from './session.ts';
import { createWorkerSession } from './worker-session.ts';

/** Rows one merged run may carry when the model's batch dimension is dynamic and no option says otherwise. */
const DEFAULT_MAX_BATCH = 1024;

/** The `options:` keys the ONNX runtime reads. */
const ONNX_OPTIONS = ['model_file', 'execution', 'max_batch_size'];

export function createOnnxRuntime(): Runtime {
  return {
    name: 'onnx',
    async canLoad(dir: ModelDir) {
      return dir.files.some((f) => f.endsWith('.onnx'));
    },
    load: loadOnnxModel,
  };
}

/** The real path of the model file: options.model_file, else model.onnx, else the only .onnx file. */
async function modelFile(spec: ModelSpec): Promise<string> {
  const named = spec.options['model_file'];
  if (named !== undefined) {
    if (typeof named !== 'string') {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `options.model_file must be a file name inside the version folder (got ${JSON.stringify(named)})` });
    }
    return resolveModelFile(spec.name, spec.dir, named, 'options.model_file');
  }
  const candidates = spec.dir.files.filter((f) => f.endsWith('.onnx'));
  if (candidates.includes('model.onnx')) return resolveModelFile(spec.name, spec.dir, 'model.onnx');
  if (candidates.length !== 1) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
      model: spec.name,
      detail: `expected one .onnx file in version ${spec.version}, found ${candidates.length}; name it model.onnx or set options.model_file`,
    });
  }
  return resolveModelFile(spec.name, spec.dir, candidates[0]!);
}

async function loadOnnxModel(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
  refuseUnknownOptions(spec.name, 'onnx', spec.options, ONNX_OPTIONS);
  const configured = spec.options['max_batch_size'];
  if (configured !== undefined && !isCount(configured)) badOption(spec.name, spec.options, 'max_batch_size', 'a non-negative integer');
  // onnxruntime resolves external data files relative to this (real) path and refuses those that leave its folder.
  const file = await modelFile(spec);
  const execution = spec.options['execution'] ?? 'in-process';
  if (execution !== 'in-process' && execution !== 'worker') badChoice(spec.name, spec.options, 'execution', ['in-process', 'worker']);
  const settings = { intraOpThreads: ctx.threads.intraOp, interOpThreads: ctx.threads.interOp };
  let session: OnnxSession;
  try {
    session = execution === 'worker' ? await createWorkerSession(file, settings) : await createInProcessSession(file, settings);
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: (cause as Error).message }, cause);
  }
  let signature: ModelSignature;
  try {
    signature = {
      platform: 'onnxruntime_onnx',
      inputs: session.inputMetadata.map((m) => describe(spec, m)),
      outputs: session.outputMetadata.map((m) => describe(spec, m)),
      // onnxruntime-node hands string tensors to ONNX Runtime as C strings: UTF-8, cut at the first NUL.
      bytesInputs: 'c-string',
    };
  } catch (error) {
    await session.release();
    throw error;
  }
  const batchable = [...signature.inputs, ...signature.outputs].every((t) => t.shape.length > 0 && t.shape[0] === -1);
  const maxBatchSize = !batchable ? 0 : configured ?? DEFAULT_MAX_BATCH;
  const outputNames = signature.outputs.map((o) => o.name);

  return {
    signature,
    maxBatchSize,
    // On a worker thread, the next batch waits in the worker's queue while one computes.
    ...(execution === 'worker' ? { pipelineDepth: 2 } : {}),
    async execute(batch: readonly InferRequest[], signal: AbortSignal, inputsMovable = false): Promise<ExecuteResult[]> {
      const results: ExecuteResult[] = [];
      for (const request of batch) {
        try {
          const { outputs, computeMs } = await session.run(request.inputs, outputNames, inputsMovable, signal);
          results.push(computeMs === undefined ? { outputs } : { outputs, computeMs });
        } catch (cause) {
          // On a worker thread, a batch that nobody waits for any more is skipped if it had not started.
          if (signal.aborted) throw ferryError('FERRY_ERR_CANCELLED');
          throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model: spec.name, detail: (cause as Error).message }, cause);
        }
      }
      return results;
    },
    unload: () => session.release(),
  };
}

function describe(spec: ModelSpec, meta: ort.InferenceSession.ValueMetadata): TensorMetadata {
  if (!meta.isTensor) {
    throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model: spec.name, detail: `value '${meta.name}' is not a tensor (sequences and maps are not served)` });
  }
  const datatype = v2FromOrt(meta.type);
  if (!datatype) {
    throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model: spec.name, detail: `value '${meta.name}' has element type ${meta.type}, which Ferry does not serve` });
  }
  // The metadata Ferry serves and validates requests against: a rank and dimensions a request could match.
  if (meta.shape.length > MAX_RANK) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `value '${meta.name}' has ${meta.shape.length} dimensions, more than the limit of ${MAX_RANK}` });
  }
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  const unsafe = shape.find((d) => !Number.isSafeInteger(d));
  if (unsafe !== undefined) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `value '${meta.name}' declares dimension ${unsafe}, beyond 2^53 - 1` });
  }
  return { name: meta.name, datatype, shape };
}

