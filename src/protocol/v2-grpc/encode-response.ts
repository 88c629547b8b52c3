import type { InferResponse } from '../../tensor/index.ts';
import { encodeRawData } from '../../tensor/index.ts';
import type { OutInferResponse, OutOutputTensor } from './messages.ts';
import { encodeParameters } from './parameters.ts';

/**
 * InferResponse → ModelInferResponse. Every output travels in raw_output_contents, one entry per output in order,
 * whether the request used raw or typed contents: that is how Triton answers, and what Triton's clients read
 * (tritonclient's InferResult.as_numpy takes raw_output_contents, and of the typed fields only bytes_contents).
 */
export function encodeInferResponse(response: InferResponse): OutInferResponse {
  const outputs: OutOutputTensor[] = new Array(response.outputs.length);
  const rawContents: Uint8Array[] = new Array(response.outputs.length);
  for (let i = 0; i < response.outputs.length; i++) {
    const tensor = response.outputs[i]!;
    const out: OutOutputTensor = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
    if (tensor.parameters) out.parameters = encodeParameters(tensor.parameters);
    rawContents[i] = encodeRawData(tensor.datatype, tensor.data);
    outputs[i] = out;
  }
  const message: OutInferResponse = { model_name: response.modelName, model_version: response.modelVersion, outputs, raw_output_contents: rawContents };
  if (response.id !== undefined) message.id = response.id;
  if (response.parameters) message.parameters = encodeParameters(response.parameters);
  return message;
}
