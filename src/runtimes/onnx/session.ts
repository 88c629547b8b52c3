import ort from 'onnxruntime-node';
import { utf8Text, type Tensor, type TensorData } from '../../tensor/index.ts';
import { ortFromV2, v2FromOrt } from './datatypes.ts';

/** What the ONNX runtime needs of a session, wherever it runs (this thread or a worker thread). */
export interface OnnxSession {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  /**
   * Runs the model; throws the runtime's own error, which the caller wraps. `inputsMovable`: the caller reads the
   * inputs no more, so a session on another thread may take their buffers (ModelInstance.execute says when).
   * `signal`: a session that queues runs skips one whose signal fired before it started, and throws instead.
   */
  run(inputs: readonly Tensor[], outputNames: readonly string[], inputsMovable?: boolean, signal?: AbortSignal): Promise<SessionRun>;
  release(): Promise<void>;
}

export interface SessionRun {
  readonly outputs: readonly Tensor[];
  /** Time the model computed, measured where it ran; a session on another thread sets it (see ExecuteResult.computeMs). */
  readonly computeMs?: number;
}

export interface SessionSettings {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
}

const encoder = new TextEncoder();

/** A session on the calling thread: onnxruntime-node's run() holds this thread while the model computes. */
export async function createInProcessSession(file: string, settings: SessionSettings): Promise<OnnxSession> {
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
  });
  return {
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    async run(inputs, outputNames) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of inputs) feeds[input.name] = toOrt(input);
      const fetched = await session.run(feeds, outputNames as string[]);
      return { outputs: outputNames.map((name) => fromOrt(name, fetched[name]!)) };
    },
    release: () => session.release(),
  };
}

function toOrt(tensor: Tensor): ort.Tensor {
  const type = ortFromV2(tensor.datatype)!;
  const dims = tensor.shape as number[];
  if (tensor.datatype === 'BYTES') {
    // The data plane let through only UTF-8 without NUL (the signature's bytesInputs), which strings carry exactly.
    return new ort.Tensor('string', (tensor.data as Uint8Array[]).map((b, i) => utf8Text(b) ?? notText(tensor.name, i)), dims);
  }
  const ortTensor = new ort.Tensor(type, tensor.data as Exclude<TensorData, Uint8Array[]>, dims);
  // Where the JS engine has Float16Array (Node 24), onnxruntime-common wraps FP16 bits in one, which the native
  // binding cannot read; hand it the raw Uint16Array bits back.
  if (tensor.datatype === 'FP16') (ortTensor as unknown as { cpuData: unknown }).cpuData = tensor.data;
  return ortTensor;
}

function notText(name: string, index: number): never {
  throw new Error(`input '${name}' element ${index} is not UTF-8 text, which an ONNX string tensor cannot carry`);
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
