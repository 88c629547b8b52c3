import type { ModelMetadata } from '../../dataplane/index.ts';
import type { Datatype, TensorMetadata } from '../../tensor/index.ts';
import { enumValue } from './schema.ts';

/** V2 datatype → model_config.proto DataType (BYTES is TYPE_STRING there). */
const DATA_TYPE_NAME: Record<Datatype, string> = {
  BOOL: 'TYPE_BOOL', UINT8: 'TYPE_UINT8', UINT16: 'TYPE_UINT16', UINT32: 'TYPE_UINT32', UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8', INT16: 'TYPE_INT16', INT32: 'TYPE_INT32', INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16', FP32: 'TYPE_FP32', FP64: 'TYPE_FP64', BYTES: 'TYPE_STRING', BF16: 'TYPE_BF16',
};
const DATA_TYPE = Object.fromEntries(
  Object.entries(DATA_TYPE_NAME).map(([datatype, name]) => [datatype, enumValue('inference.DataType', name)]),
) as Record<Datatype, number>;

interface ConfigTensor {
  name: string;
  data_type: number;
  dims: readonly number[];
}

export interface ConfigMessage {
  name: string;
  platform: string;
  backend: string;
  max_batch_size: number;
  input: ConfigTensor[];
  output: ConfigTensor[];
}

/**
 * The Triton model configuration subset Ferry can state truthfully from a model's metadata. max_batch_size is 0
 * so that `dims` are the full shapes clients send (a dynamic batch dimension shows as -1), which is how Triton
 * describes a model that takes its batch dimension explicitly.
 */
export function modelConfig(metadata: ModelMetadata): ConfigMessage {
  const tensor = (t: TensorMetadata): ConfigTensor => ({ name: t.name, data_type: DATA_TYPE[t.datatype], dims: t.shape });
  return {
    name: metadata.name,
    platform: metadata.platform,
    // Triton pairs platform 'onnxruntime_onnx' with backend 'onnxruntime': the runtime is the part before '_'.
    backend: metadata.platform.split('_')[0]!,
    max_batch_size: 0,
    input: metadata.inputs.map(tensor),
    output: metadata.outputs.map(tensor),
  };
}
