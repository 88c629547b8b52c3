import {
  encodeJsonData, encodeRawData, isFloatType, outputText, type InferRequest, type InferResponse, type Parameters, type Tensor,
} from '../../tensor/index.ts';
import { JsonSink, type EncodedBody } from '../http/json-sink.ts';
import { checkResponseSize, type ProtocolLimits } from '../http/limits.ts';

/** What a V2 client does to receive BYTES that are not UTF-8, named when such an output is refused as JSON. */
const BINARY_ALTERNATIVE = 'request it with the binary tensor extension (outputs[].parameters.binary_data: true), or use gRPC';
/** Elements joined in one step: a slice of a large tensor takes well under a millisecond. */
const SLICE_ELEMENTS = 16 * 1024;

export interface EncodedResponse {
  readonly body: EncodedBody;
  /** Set when the body carries binary tensor data after a JSON header of this many bytes. */
  readonly headerLength?: number;
}

/**
 * Encodes a V2 inference response, as JSON or with the binary tensor extension where the request asked for it.
 * The JSON is written a slice of elements at a time into a JsonSink, which yields to the event loop every few
 * milliseconds and refuses an answer past limits.max_response_bytes as soon as it grows past it; binary tensors
 * follow the header as the buffers they are, never joined into one.
 */
export async function encodeInferResponse(response: InferResponse, request: InferRequest, limits: ProtocolLimits): Promise<EncodedResponse> {
  const binaryDefault = request.parameters?.['binary_data_output'] === true;
  const wantsBinary = (tensor: Tensor): boolean => {
    const flag = request.outputs?.find((o) => o.name === tensor.name)?.parameters?.['binary_data'];
    return flag === undefined ? binaryDefault : flag === true;
  };
  const sink = new JsonSink(limits);
  let head = `{"model_name":${JSON.stringify(response.modelName)},"model_version":${JSON.stringify(response.modelVersion)}`;
  if (response.id !== undefined) head += `,"id":${JSON.stringify(response.id)}`;
  if (response.parameters) head += `,"parameters":${JSON.stringify(response.parameters)}`;
  sink.write(`${head},"outputs":[`);
  const blobs: Uint8Array[] = [];
  for (let i = 0; i < response.outputs.length; i++) {
    const tensor = response.outputs[i]!;
    sink.write(`${i > 0 ? ',' : ''}{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`);
    if (wantsBinary(tensor)) {
      const bytes = encodeRawData(tensor.datatype, tensor.data);
      blobs.push(bytes);
      sink.write(`,"parameters":${JSON.stringify({ ...tensor.parameters, binary_data_size: bytes.byteLength } satisfies Parameters)}}`);
    } else {
      if (tensor.parameters) sink.write(`,"parameters":${JSON.stringify(tensor.parameters)}`);
      sink.write(',"data":');
      await writeData(sink, tensor);
      sink.write('}');
    }
  }
  sink.write(']}');
  const json = sink.finish();
  if (blobs.length === 0) return { body: json };
  const length = blobs.reduce((sum, blob) => sum + blob.byteLength, json.length);
  checkResponseSize(length, limits);
  const chunks = [...json.chunks, ...blobs.map((blob) => Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength))];
  return { body: { chunks, length }, headerLength: json.length };
}

/** A tensor's elements as one flat JSON list, a slice at a time (non-finite floats as null). */
async function writeData(sink: JsonSink, tensor: Tensor): Promise<void> {
  const count = tensor.data.length;
  sink.write('[');
  for (let start = 0; start < count; start += SLICE_ELEMENTS) {
    const end = Math.min(start + SLICE_ELEMENTS, count);
    sink.write(`${start > 0 ? ',' : ''}${sliceText(tensor, start, end)}`);
    if (sink.due(end - start)) await sink.pause();
  }
  sink.write(']');
}

/**
 * Elements [start, end) joined with commas. Numeric tensors are joined straight from their typed arrays (64-bit
 * integers as exact integer literals); only non-finite floats need the slow path.
 */
function sliceText(tensor: Tensor, start: number, end: number): string {
  const { datatype, data } = tensor;
  if (datatype === 'FP32' || datatype === 'FP64') {
    const values = (data as Float32Array | Float64Array).subarray(start, end);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return Array.from(values, (v) => (Number.isFinite(v) ? v : 'null')).join(',');
    }
    return values.join(',');
  }
  if (datatype === 'BYTES') {
    const texts = (data as Uint8Array[]).slice(start, end).map((bytes, i) => outputText(tensor.name, start + i, bytes, BINARY_ALTERNATIVE));
    return JSON.stringify(texts).slice(1, -1);
  }
  if (datatype === 'BOOL' || isFloatType(datatype)) {
    const values = encodeJsonData(datatype, (data as Uint8Array | Uint16Array).subarray(start, end));
    return JSON.stringify(values.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))).slice(1, -1);
  }
  return (data as Int32Array).subarray(start, end).join(',');
}
