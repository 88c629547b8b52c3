import { ferryError, isFerryError } from '../../errors/index.ts';
import {
  checkShape, decodeJsonData, decodeRawData, elementCount, isDatatype, type ShapeLimits,
  type InferRequest, type Parameters, type RequestedOutput, type Tensor,
} from '../../tensor/index.ts';
import { isJsonObject, invalidRequest } from '../http/request-shape.ts';
import { parseJson } from '../http/exact-json.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../http/limits.ts';

/**
 * Decodes a V2 inference request body: JSON, or with the binary tensor extension a JSON header of
 * `headerLength` bytes followed by the raw tensors named by `binary_data_size`.
 */
export function decodeInferRequest(body: Buffer, headerLength: number | undefined, limits: ProtocolLimits = DEFAULT_LIMITS): InferRequest {
  let jsonPart = body;
  let binary: Buffer | undefined;
  if (headerLength !== undefined) {
    if (headerLength > body.length) {
      throw ferryError('FERRY_ERR_BINARY_HEADER', { detail: `Inference-Header-Content-Length ${headerLength} is larger than the ${body.length}-byte body` });
    }
    jsonPart = body.subarray(0, headerLength);
    binary = body.subarray(headerLength);
  }
  let parsed: unknown;
  try {
    const text = jsonPart.toString('utf8');
    // 64-bit integer tensors are read exactly; a body that names neither INT64 nor UINT64 has none.
    parsed = parseJson(text, text.includes('INT64'), limits);
  } catch (error) {
    if (isFerryError(error)) throw error; // a limit, named
    throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message });
  }
  return decodeParsed(parsed, binary, jsonPart.length, limits);
}

/** Inference-Header-Content-Length's form: a plain byte count of at most 12 digits. */
export function isHeaderLengthText(text: string): boolean {
  return /^\d{1,12}$/.test(text);
}

export function parseHeaderLength(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0]! : value;
  if (!isHeaderLengthText(text)) throw ferryError('FERRY_ERR_BINARY_HEADER', { detail: `Inference-Header-Content-Length '${text.slice(0, 20)}' is not a byte count` });
  return Number(text);
}

function decodeParsed(parsed: unknown, binary: Buffer | undefined, jsonBytes: number, limits: ShapeLimits): InferRequest {
  if (!isJsonObject(parsed)) throw invalidRequest('the body must be a JSON object');
  const { id, parameters, inputs, outputs } = parsed;
  if (id !== undefined && typeof id !== 'string') throw invalidRequest("'id' must be a string");
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalidRequest("'inputs' must be a non-empty array");
  let offset = 0;
  const decodedInputs: Tensor[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const raw: unknown = inputs[i];
    if (!isJsonObject(raw)) throw invalidRequest(`inputs[${i}] must be an object`);
    const { name, datatype, shape } = raw;
    if (typeof name !== 'string' || name === '') throw invalidRequest(`inputs[${i}].name must be a non-empty string`);
    if (!isDatatype(datatype)) {
      if (typeof datatype === 'string') throw ferryError('FERRY_ERR_DATATYPE_UNKNOWN', { datatype: datatype.slice(0, 32) });
      throw invalidRequest(`inputs[${i}].datatype must be a string`);
    }
    const dims = checkShape(name, shape, limits);
    const inputParameters = decodeParameters(raw.parameters, `inputs[${i}].parameters`);
    const binarySize = inputParameters?.['binary_data_size'];
    let data;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isInteger(binarySize) || binarySize < 0) throw invalidRequest(`inputs[${i}].parameters.binary_data_size must be a byte count`);
      if (!binary) throw ferryError('FERRY_ERR_BINARY_HEADER', { detail: `input '${name}' has binary_data_size but the request has no Inference-Header-Content-Length` });
      if (raw.data !== undefined) throw invalidRequest(`input '${name}' has both 'data' and binary_data_size`);
      if (offset + binarySize > binary.length) {
        throw ferryError('FERRY_ERR_BINARY_HEADER', { detail: `input '${name}' needs ${binarySize} bytes at offset ${offset}, the binary part has ${binary.length}` });
      }
      data = decodeRawData(name, datatype, dims, binary.subarray(offset, offset + binarySize));
      offset += binarySize;
    } else {
      if (raw.data === undefined && inputParameters?.['shared_memory_region'] !== undefined) {
        throw ferryError('FERRY_ERR_EXTENSION_UNSUPPORTED', { extension: 'shared memory', detail: `input '${name}' names a shared-memory region; send its data in the body` });
      }
      if (raw.data === undefined) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: "missing 'data' (or parameters.binary_data_size)" });
      // Each JSON element takes at least two bytes: refuse shapes the body cannot hold before allocating for them.
      if (elementCount(dims) > jsonBytes) {
        throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: name, actual: 'fewer', expected: elementCount(dims), shape: `[${dims.join(',')}]` });
      }
      data = decodeJsonData(name, datatype, dims, raw.data);
    }
    decodedInputs[i] = { name, datatype, shape: dims, data, ...(inputParameters ? { parameters: stripBinarySize(inputParameters) } : {}) };
  }
  if (binary && offset !== binary.length) {
    throw ferryError('FERRY_ERR_BINARY_HEADER', { detail: `${binary.length - offset} bytes of binary data are not claimed by any input` });
  }
  const request: { -readonly [K in keyof InferRequest]: InferRequest[K] } = { inputs: decodedInputs };
  if (id !== undefined) request.id = id;
  const decodedParameters = decodeParameters(parameters, 'parameters');
  if (decodedParameters) request.parameters = decodedParameters;
  if (outputs !== undefined) request.outputs = decodeOutputs(outputs);
  return request;
}

function decodeOutputs(outputs: unknown): RequestedOutput[] {
  if (!Array.isArray(outputs)) throw invalidRequest("'outputs' must be an array");
  return outputs.map((o: unknown, i) => {
    if (!isJsonObject(o) || typeof o.name !== 'string') throw invalidRequest(`outputs[${i}] must be an object with a name`);
    const parameters = decodeParameters(o.parameters, `outputs[${i}].parameters`);
    return parameters ? { name: o.name, parameters } : { name: o.name };
  });
}

export function decodeParameters(value: unknown, where: string): Parameters | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw invalidRequest(`${where} must be an object`);
  for (const [key, v] of Object.entries(value)) {
    // A bigint (exact parsing) or a double that is an integer beyond 2^53 (rounded, or about to be).
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v))) {
      throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: key, detail: 'integer parameters must lie within ±2^53' });
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: key, detail: 'parameter values are strings, numbers or booleans' });
    }
  }
  return value as Parameters;
}

function stripBinarySize(parameters: Parameters): Parameters {
  if (!('binary_data_size' in parameters)) return parameters;
  const { binary_data_size: _ignored, ...rest } = parameters;
  return rest;
}

