import type { ModelMetadata } from '../../dataplane/index.ts';
import type { Datatype, TensorMetadata } from '../../tensor/index.ts';

/** V2 datatype → the DataType name of Triton's model_config.proto (BYTES is TYPE_STRING there). */
export const CONFIG_DATA_TYPE: Record<Datatype, string> = {
  BOOL: 'TYPE_BOOL', UINT8: 'TYPE_UINT8', UINT16: 'TYPE_UINT16', UINT32: 'TYPE_UINT32', UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8', INT16: 'TYPE_INT16', INT32: 'TYPE_INT32', INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16', FP32: 'TYPE_FP32', FP64: 'TYPE_FP64', BYTES: 'TYPE_STRING', BF16: 'TYPE_BF16',
};

export interface ConfigTensor {
  readonly name: string;
  readonly data_type: string;
  readonly dims: readonly number[];
  readonly label_filename?: string;
}

/** Triton's ModelConfig as its JSON form has it (proto field names, enum names, dims as numbers). */
export interface TritonModelConfig {
  readonly name: string;
  readonly platform: string;
  readonly backend: string;
  readonly max_batch_size: number;
  readonly input: readonly ConfigTensor[];
  readonly output: readonly ConfigTensor[];
}

/**
 * The Triton model configuration subset Ferry can state truthfully from a model's metadata, shared by the HTTP
 * `/config` route and gRPC's ModelConfig. max_batch_size is model.yaml's `max_request_rows`, and then `dims` leave
 * out the batch dimension, as in Triton; without it, max_batch_size is 0 and `dims` are the full shapes clients
 * send (a dynamic batch dimension shows as -1), how Triton describes a model that takes its batch dimension
 * explicitly. `labelFile` names the class labels file every output's classification reads (`label_filename`).
 */
export function tritonModelConfig(metadata: ModelMetadata, labelFile?: string): TritonModelConfig {
  const maxBatch = metadata.maxRequestRows ?? 0;
  const dims = (shape: readonly number[]) => (maxBatch > 0 ? shape.slice(1) : shape);
  const tensor = (t: TensorMetadata): ConfigTensor => ({ name: t.name, data_type: CONFIG_DATA_TYPE[t.datatype], dims: dims(t.shape) });
  return {
    name: metadata.name,
    platform: metadata.platform,
    // Triton pairs platform 'onnxruntime_onnx' with backend 'onnxruntime': the runtime is the part before '_'.
    backend: metadata.platform.split('_')[0]!,
    max_batch_size: maxBatch,
    input: metadata.inputs.map(tensor),
    output: metadata.outputs.map((t) => (labelFile === undefined ? tensor(t) : { ...tensor(t), label_filename: labelFile })),
  };
}
