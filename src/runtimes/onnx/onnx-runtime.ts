import path from 'node:path';
import ort from 'onnxruntime-node';
import { ferryError } from '../../errors/index.ts';
import type { InferRequest, Tensor, TensorData, TensorMetadata } from '../../tensor/index.ts';
import type { ExecuteResult, ModelDir, ModelInstance, ModelSignature, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { ortFromV2, v2FromOrt } from './datatypes.ts';

/** Rows one merged run may carry when the model's batch dimension is dynamic and no option says otherwise. */
const DEFAULT_MAX_BATCH = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createOnnxRuntime(): Runtime {
  return {
    name: 'onnx',
    async canLoad(dir: ModelDir) {
      return dir.files.some((f) => f.endsWith('.onnx'));
    },
    load: loadOnnxModel,
  };
}

function modelFile(spec: ModelSpec): string {
  const named = spec.options['model_file'];
  if (typeof named === 'string') return path.join(spec.dir.path, named);
  const candidates = spec.dir.files.filter((f) => f.endsWith('.onnx'));
  if (candidates.includes('model.onnx')) return path.join(spec.dir.path, 'model.onnx');
  if (candidates.length !== 1) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
      model: spec.name,
      detail: `expected one .onnx file in version ${spec.version}, found ${candidates.length}; name it model.onnx or set options.model_file`,
    });
  }
  return path.join(spec.dir.path, candidates[0]!);
}

async function loadOnnxModel(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
  const file = modelFile(spec);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(ctx.threads.intraOp > 0 ? { intraOpNumThreads: ctx.threads.intraOp } : {}),
      ...(ctx.threads.interOp > 0 ? { interOpNumThreads: ctx.threads.interOp } : {}),
    });
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: (cause as Error).message }, cause);
  }
  const inputs = session.inputMetadata.map((m) => describe(spec, m));
  const outputs = session.outputMetadata.map((m) => describe(spec, m));
  const signature: ModelSignature = { platform: 'onnxruntime_onnx', inputs, outputs };
  const configured = spec.options['max_batch_size'];
  const batchable = [...inputs, ...outputs].every((t) => t.shape.length > 0 && t.shape[0] === -1);
  const maxBatchSize = !batchable ? 0 : typeof configured === 'number' ? configured : DEFAULT_MAX_BATCH;
  const outputNames = outputs.map((o) => o.name);

  return {
    signature,
    maxBatchSize,
    async execute(batch: readonly InferRequest[]): Promise<ExecuteResult[]> {
      const results: ExecuteResult[] = [];
      for (const request of batch) results.push(await runOne(session, spec.name, request, outputNames));
      return results;
    },
    async unload() {
      await session.release();
    },
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
  return { name: meta.name, datatype, shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

async function runOne(session: ort.InferenceSession, model: string, request: InferRequest, outputNames: readonly string[]): Promise<ExecuteResult> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of request.inputs) feeds[input.name] = toOrt(input);
  let fetched: ort.InferenceSession.ReturnType;
  try {
    fetched = await session.run(feeds, outputNames as string[]);
  } catch (cause) {
    throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: (cause as Error).message }, cause);
  }
  const outputs: Tensor[] = [];
  for (const name of outputNames) {
    const value = fetched[name]!;
    outputs.push(fromOrt(name, value));
  }
  return { outputs };
}

function toOrt(tensor: Tensor): ort.Tensor {
  const type = ortFromV2(tensor.datatype)!;
  const dims = tensor.shape as number[];
  if (tensor.datatype === 'BYTES') {
    return new ort.Tensor('string', (tensor.data as Uint8Array[]).map((b) => decoder.decode(b)), dims);
  }
  const ortTensor = new ort.Tensor(type, tensor.data as Exclude<TensorData, Uint8Array[]>, dims);
  // Where the JS engine has Float16Array (Node 24), onnxruntime-common wraps FP16 bits in one, which the native
  // binding cannot read; hand it the raw Uint16Array bits back.
  if (tensor.datatype === 'FP16') (ortTensor as unknown as { cpuData: unknown }).cpuData = tensor.data;
  return ortTensor;
}

function fromOrt(name: string, value: ort.Tensor): Tensor {
  const datatype = v2FromOrt(value.type)!;
  const shape = value.dims.slice();
  if (datatype === 'BYTES') {
    return { name, datatype, shape, data: (value.data as string[]).map((s) => encoder.encode(s)) };
  }
  if (datatype === 'FP16' && !(value.data instanceof Uint16Array)) {
    const halves = value.data as unknown as Uint16Array; // a Float16Array: same bytes, read as raw bits
    return { name, datatype, shape, data: new Uint16Array(halves.buffer, halves.byteOffset, halves.length) };
  }
  return { name, datatype, shape, data: value.data as Exclude<TensorData, Uint8Array[]> };
}
