import { ferryError } from '../../errors/index.ts';
import type { ModelMetadata } from '../../dataplane/index.ts';
import { decodeRawData, elementByteSize, type InferRequest, type TensorMetadata } from '../../tensor/index.ts';

/**
 * A raw binary request (binary tensor extension, `Inference-Header-Content-Length: 0`): the body is the bytes of
 * the model's one input, with no JSON header. The input's name and datatype come from the model; its shape too,
 * with the one variable dimension it may have deduced from the byte count. A model with `max_request_rows` (Triton's
 * max_batch_size) takes its first dimension as the batch, of one row here, as Triton does. A BYTES input takes the
 * whole body as one element. Every output comes back as binary data, as Triton answers such a request.
 */
export function decodeRawRequest(model: string, metadata: Pick<ModelMetadata, 'inputs' | 'maxRequestRows'>, body: Buffer): InferRequest {
  const { inputs } = metadata;
  if (inputs.length !== 1) {
    throw refused(model, `the model takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a raw request carries one`);
  }
  const input = inputs[0]!;
  const batched = metadata.maxRequestRows !== undefined && input.shape.length > 0;
  const shape = batched
    ? [1, ...rawShape(model, { ...input, shape: input.shape.slice(1) }, body.length)]
    : rawShape(model, input, body.length);
  const data = input.datatype === 'BYTES' ? [Uint8Array.from(body)] : decodeRawData(input.name, input.datatype, shape, body);
  return { inputs: [{ name: input.name, datatype: input.datatype, shape, data }], parameters: { binary_data_output: true } };
}

function rawShape(model: string, input: TensorMetadata, bytes: number): number[] {
  const variable = input.shape.filter((d) => d < 0).length;
  if (input.datatype === 'BYTES') {
    const shape = input.shape.map((d) => (d < 0 ? 1 : d));
    if (shape.some((d) => d !== 1)) throw refused(model, `a raw BYTES input is one element, input '${input.name}' has shape [${input.shape.join(',')}]`);
    return shape;
  }
  if (variable > 1) throw refused(model, `input '${input.name}' has shape [${input.shape.join(',')}]: a raw request's byte count fixes at most one variable dimension`);
  const size = elementByteSize(input.datatype);
  const fixed = input.shape.reduce((product, d) => (d < 0 ? product : product * d), 1);
  if (variable === 0) return [...input.shape];
  const rowBytes = fixed * size;
  if (rowBytes === 0 || bytes % rowBytes !== 0) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: input.name, detail: `${bytes} bytes of raw data are not a whole number of ${input.datatype} [${input.shape.join(',')}] rows of ${rowBytes} bytes` });
  }
  return input.shape.map((d) => (d < 0 ? bytes / rowBytes : d));
}

function refused(model: string, detail: string) {
  return ferryError('FERRY_ERR_BINARY_HEADER', { detail: `raw binary request (Inference-Header-Content-Length: 0) to model '${model}': ${detail}` });
}
