import { ferryError } from '../../errors/index.ts';
import { DEFAULT_SHAPE_LIMITS, type InferRequest, type ShapeLimits, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { isNamedObject, tensorFromNested } from '../http/nested-json.ts';
import { isJsonObject, invalidRequest } from '../http/request-shape.ts';

/** Row requests (`instances`) get `predictions` back; columnar ones (`inputs`) get `outputs`. */
export type PredictFormat = 'row' | 'columnar';

export interface DecodedPredict {
  readonly format: PredictFormat;
  readonly request: InferRequest;
}

/**
 * Decodes a TF Serving predict body against the model's inputs (datatypes come from the signature):
 * `instances` is a list of rows, each the value of the single input or an object of named inputs;
 * `inputs` is the value of the single input or an object of named inputs with the batch inside each value.
 */
export function decodePredict(model: string, body: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): DecodedPredict {
  if (!isJsonObject(body)) throw invalidRequest('the body must be a JSON object');
  checkSignatureName(model, body['signature_name'], ['']);
  const hasInstances = body['instances'] !== undefined;
  const hasInputs = body['inputs'] !== undefined;
  if (hasInstances && hasInputs) throw invalidRequest("a request has 'instances' (row format) or 'inputs' (columnar format), not both");
  if (hasInstances) return { format: 'row', request: { inputs: fromInstances(model, body['instances'], inputs, limits) } };
  if (hasInputs) return { format: 'columnar', request: { inputs: fromInputs(model, body['inputs'], inputs, limits) } };
  throw invalidRequest("missing 'inputs' or 'instances' key");
}

/** TF Serving's signature names: every Ferry model has one signature, `serving_default` (or the empty name). */
export function checkSignatureName(model: string, value: unknown, alsoAccepted: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalidRequest("'signature_name' must be a string");
  if (value === 'serving_default' || alsoAccepted.includes(value)) return;
  throw invalidRequest(`serving signature '${value.slice(0, 64)}' not found for model '${model}' (it has: serving_default)`);
}

function fromInstances(model: string, instances: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits): Tensor[] {
  if (!Array.isArray(instances)) throw invalidRequest("'instances' must be a list");
  if (instances.length === 0) throw invalidRequest("no values in 'instances' list");
  const named = isNamedObject(instances[0]);
  if (!named) {
    if (inputs.length > 1) {
      throw invalidRequest(`'instances' is a plain list, but model '${model}' takes ${inputs.length} inputs (${names(inputs)}): send a list of objects`);
    }
    instances.forEach((item, i) => {
      if (isNamedObject(item)) throw invalidRequest(`'instances' mixes values and objects: item ${i} is an object`);
    });
    return [tensorFromNested(inputs[0]!.name, inputs[0]!.datatype, instances, limits)];
  }
  const columns = new Map<string, unknown[]>(inputs.map((input) => [input.name, []]));
  instances.forEach((item, i) => {
    if (!isNamedObject(item)) throw invalidRequest(`'instances' mixes objects and values: item ${i} is not an object`);
    for (const key of Object.keys(item)) {
      if (!columns.has(key)) throw ferryError('FERRY_ERR_INPUT_UNEXPECTED', { model, input: key.slice(0, 64), expected: names(inputs) });
    }
    for (const input of inputs) {
      if (!(input.name in item)) throw invalidRequest(`item ${i} of 'instances' lacks input '${input.name}' (each object must have: ${names(inputs)})`);
      columns.get(input.name)!.push(item[input.name]);
    }
  });
  return inputs.map((input) => tensorFromNested(input.name, input.datatype, columns.get(input.name), limits));
}

function fromInputs(model: string, value: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits): Tensor[] {
  if (!isNamedObject(value)) {
    if (inputs.length > 1) {
      throw invalidRequest(`'inputs' is a plain value/list, but model '${model}' takes ${inputs.length} inputs (${names(inputs)}): send an object`);
    }
    return [tensorFromNested(inputs[0]!.name, inputs[0]!.datatype, value, limits)];
  }
  for (const key of Object.keys(value)) {
    if (!inputs.some((input) => input.name === key)) throw ferryError('FERRY_ERR_INPUT_UNEXPECTED', { model, input: key.slice(0, 64), expected: names(inputs) });
  }
  return inputs.map((input) => {
    if (!(input.name in value)) throw ferryError('FERRY_ERR_INPUT_MISSING', { model, input: input.name });
    return tensorFromNested(input.name, input.datatype, value[input.name], limits);
  });
}


function names(inputs: readonly TensorMetadata[]): string {
  return inputs.map((i) => i.name).join(', ');
}

