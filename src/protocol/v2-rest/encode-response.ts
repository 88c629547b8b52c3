import {
  encodeJsonData, encodeRawData, isFloatType, outputText, type InferRequest, type InferResponse, type Parameters, type Tensor,
} from '../../tensor/index.ts';

/** What a V2 client does to receive BYTES that are not UTF-8, named when such an output is refused as JSON. */
const BINARY_ALTERNATIVE = 'request it with the binary tensor extension (outputs[].parameters.binary_data: true), or use gRPC';

export interface EncodedResponse {
  readonly body: string | Buffer;
  /** Set when the body carries binary tensor data after a JSON header of this many bytes. */
  readonly headerLength?: number;
}

/** Encodes a V2 inference response, as JSON or with the binary tensor extension where the request asked for it. */
export function encodeInferResponse(response: InferResponse, request: InferRequest): EncodedResponse {
  const binaryDefault = request.parameters?.['binary_data_output'] === true;
  const wantsBinary = (tensor: Tensor): boolean => {
    const flag = request.outputs?.find((o) => o.name === tensor.name)?.parameters?.['binary_data'];
    return flag === undefined ? binaryDefault : flag === true;
  };
  let json = `{"model_name":${JSON.stringify(response.modelName)},"model_version":${JSON.stringify(response.modelVersion)}`;
  if (response.id !== undefined) json += `,"id":${JSON.stringify(response.id)}`;
  if (response.parameters) json += `,"parameters":${JSON.stringify(response.parameters)}`;
  json += ',"outputs":[';
  const blobs: Uint8Array[] = [];
  response.outputs.forEach((tensor, i) => {
    if (i > 0) json += ',';
    json += `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`;
    if (wantsBinary(tensor)) {
      const bytes = encodeRawData(tensor.datatype, tensor.data);
      blobs.push(bytes);
      json += `,"parameters":${JSON.stringify({ ...tensor.parameters, binary_data_size: bytes.byteLength } satisfies Parameters)}}`;
    } else {
      if (tensor.parameters) json += `,"parameters":${JSON.stringify(tensor.parameters)}`;
      json += `,"data":${jsonData(tensor)}}`;
    }
  });
  json += ']}';
  if (blobs.length === 0) return { body: json };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...blobs]), headerLength: header.length };
}

/**
 * Numeric tensors are joined straight from their typed arrays (64-bit integers as exact integer literals); only
 * non-finite floats need the slow path.
 */
function jsonData(tensor: Tensor): string {
  const { datatype, data } = tensor;
  if (datatype === 'FP32' || datatype === 'FP64') {
    const values = data as Float32Array | Float64Array;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return JSON.stringify(Array.from(values, (v) => (Number.isFinite(v) ? v : null)));
    }
    return `[${values.join(',')}]`;
  }
  if (datatype === 'BYTES') {
    return JSON.stringify((data as Uint8Array[]).map((bytes, i) => outputText(tensor.name, i, bytes, BINARY_ALTERNATIVE)));
  }
  if (datatype === 'BOOL' || isFloatType(datatype)) {
    return JSON.stringify(encodeJsonData(datatype, data).map((v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  }
  return `[${(data as Int32Array).join(',')}]`;
}
