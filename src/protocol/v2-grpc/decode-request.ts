import { ferryError } from '../../errors/index.ts';
import {
  checkShape, DEFAULT_SHAPE_LIMITS, decodeRawData, elementCount, isDatatype, type InferRequest, type RequestedOutput, type ShapeLimits, type Tensor,
} from '../../tensor/index.ts';
import { decodeContents, hasContents } from './contents.ts';
import { int64ToNumber } from './int64.ts';
import type { Int64, WireInferRequest } from './messages.ts';
import { decodeParameters } from './parameters.ts';
import { invalidRequest } from '../http/request-shape.ts';

export interface DecodedInfer {
  readonly model: string;
  /** undefined: the version policy picks. */
  readonly version: string | undefined;
  readonly request: InferRequest;
}

/** ModelInferRequest → the protocol-neutral InferRequest, from typed contents or raw_input_contents. */
export function decodeInferRequest(wire: WireInferRequest, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): DecodedInfer {
  if (wire.model_name === '') throw invalidRequest('model_name is required');
  const { inputs } = wire;
  if (inputs.length === 0) throw invalidRequest('inputs must not be empty');
  const rawContents = wire.raw_input_contents;
  const raw = rawContents.length > 0;
  if (raw && rawContents.length !== inputs.length) {
    throw invalidRequest(`raw_input_contents has ${rawContents.length} entries for ${inputs.length} inputs (one per input, in order)`);
  }
  const tensors: Tensor[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const { name, datatype } = input;
    if (name === '') throw invalidRequest(`inputs[${i}].name must not be empty`);
    if (!isDatatype(datatype)) {
      if (datatype === '') throw invalidRequest(`inputs[${i}].datatype must not be empty`);
      throw ferryError('FERRY_ERR_DATATYPE_UNKNOWN', { datatype: datatype.slice(0, 32) });
    }
    const shape = checkShape(name, wireShape(input.shape), limits);
    let data;
    if (raw) {
      if (hasContents(input.contents)) throw invalidRequest(`input '${name}' has contents while the request uses raw_input_contents`);
      data = decodeRawData(name, datatype, shape, rawContents[i]!);
    } else {
      data = decodeContents(name, datatype, elementCount(shape), input.contents);
    }
    const parameters = decodeParameters(input.parameters);
    tensors[i] = parameters ? { name, datatype, shape, data, parameters } : { name, datatype, shape, data };
  }
  const request: { -readonly [K in keyof InferRequest]: InferRequest[K] } = { inputs: tensors };
  if (wire.id !== '') request.id = wire.id;
  const parameters = decodeParameters(wire.parameters);
  if (parameters) request.parameters = parameters;
  if (wire.outputs.length > 0) {
    request.outputs = wire.outputs.map((o, i): RequestedOutput => {
      if (o.name === '') throw invalidRequest(`outputs[${i}].name must not be empty`);
      const p = decodeParameters(o.parameters);
      return p ? { name: o.name, parameters: p } : { name: o.name };
    });
  }
  return { model: wire.model_name, version: wire.model_version === '' ? undefined : wire.model_version, request };
}

/** int64 dimensions as numbers; one beyond 2^53 stays its digits, which checkShape refuses as invalid. */
function wireShape(wire: readonly Int64[]): unknown[] {
  return wire.map((dim) => int64ToNumber(dim) ?? String(dim));
}
