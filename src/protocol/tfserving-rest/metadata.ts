import type { ModelMetadata } from '../../dataplane/index.ts';
import type { Datatype, TensorMetadata } from '../../tensor/index.ts';

const TF_DTYPES: Record<Datatype, string> = {
  BOOL: 'DT_BOOL', UINT8: 'DT_UINT8', UINT16: 'DT_UINT16', UINT32: 'DT_UINT32', UINT64: 'DT_UINT64',
  INT8: 'DT_INT8', INT16: 'DT_INT16', INT32: 'DT_INT32', INT64: 'DT_INT64',
  FP16: 'DT_HALF', FP32: 'DT_FLOAT', FP64: 'DT_DOUBLE', BF16: 'DT_BFLOAT16', BYTES: 'DT_STRING',
};

/**
 * GetModelMetadataResponse: the model spec and one `serving_default` predict signature built from the model's
 * inputs and outputs. Dimension sizes are int64 in the proto, hence strings in its JSON form (as TF prints them).
 */
export function encodeMetadata(metadata: ModelMetadata, version: string): string {
  return JSON.stringify({
    model_spec: { name: metadata.name, signature_name: '', version },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: tensorInfos(metadata.inputs),
            outputs: tensorInfos(metadata.outputs),
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    },
  });
}

function tensorInfos(tensors: readonly TensorMetadata[]) {
  return Object.fromEntries(tensors.map((t) => [t.name, {
    dtype: TF_DTYPES[t.datatype],
    tensor_shape: { dim: t.shape.map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name: t.name,
  }]));
}
