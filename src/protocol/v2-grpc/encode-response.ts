import type { InferResponse } from '../../tensor/index.ts';
import { encodeRawData } from '../../tensor/index.ts';
import { encodeContents } from './contents.ts';
import type { OutInferResponse, OutOutputTensor } from './messages.ts';
import { encodeParameters } from './parameters.ts';

/**
 * InferResponse → ModelInferResponse. Outputs travel as raw_output_contents when the request sent raw inputs,
 * and also when an output is FP16/BF16 (no typed field exists; the spec allows raw or typed, never both).
 */
export function encodeInferResponse(response: InferResponse, rawRequested: boolean): OutInferResponse {
  const raw = rawRequested || response.outputs.some((t) => t.datatype === 'FP16' || t.datatype === 'BF16');
  const outputs: OutOutputTensor[] = new Array(response.outputs.length);
  const rawContents: Uint8Array[] | undefined = raw ? new Array(response.outputs.length) : undefined;
  for (let i = 0; i < response.outputs.length; i++) {
    const tensor = response.outputs[i]!;
    const out: OutOutputTensor = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
    if (tensor.parameters) out.parameters = encodeParameters(tensor.parameters);
    if (rawContents) rawContents[i] = encodeRawData(tensor.datatype, tensor.data);
    else out.contents = encodeContents(tensor.datatype, tensor.data)!;
    outputs[i] = out;
  }
  const message: OutInferResponse = { model_name: response.modelName, model_version: response.modelVersion, outputs };
  if (response.id !== undefined) message.id = response.id;
  if (response.parameters) message.parameters = encodeParameters(response.parameters);
  if (rawContents) message.raw_output_contents = rawContents;
  return message;
}
