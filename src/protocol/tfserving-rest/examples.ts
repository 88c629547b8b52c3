import { ferryError } from '../../errors/index.ts';
import { DEFAULT_SHAPE_LIMITS, type InferRequest, type ShapeLimits, type TensorMetadata } from '../../tensor/index.ts';
import { tensorFromNested } from '../http/nested-json.ts';
import { checkSignatureName } from './predict-request.ts';
import type { TfVerb } from './model-path.ts';
import { isJsonObject, invalidRequest } from '../http/request-shape.ts';

/**
 * Decodes a classify/regress body (`examples`, optional `context`) into one request row per example.
 * Each feature feeds the model input of the same name: a value (or one-element list) for an input of shape [-1],
 * a list of F values for an input of shape [-1, F]. Context features are added to every example and must not
 * also appear in one. Datatypes come from the signature, as for predict.
 */
export function decodeExamples(model: string, verb: Exclude<TfVerb, 'predict'>, body: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): InferRequest {
  if (!isJsonObject(body)) throw invalidRequest('the body must be a JSON object');
  checkSignatureName(model, body['signature_name'], ['', verb, `tensorflow/serving/${verb}`]);
  const context = body['context'];
  if (context !== undefined && !isJsonObject(context)) throw invalidRequest("'context' must be an object of features");
  const examples = body['examples'];
  if (examples === undefined) throw invalidRequest(`when the method is ${verb}, the key 'examples' is expected`);
  if (!Array.isArray(examples)) throw invalidRequest("'examples' must be a list of objects");
  if (examples.length === 0) throw invalidRequest("'examples' is an empty list");
  const columns = new Map<string, unknown[]>(inputs.map((input) => [input.name, []]));
  examples.forEach((example, e) => {
    if (!isJsonObject(example)) throw invalidRequest(`example ${e} must be an object of features`);
    const features: Record<string, unknown> = { ...example };
    for (const [name, value] of Object.entries(context ?? {})) {
      if (name in example) throw invalidRequest(`feature '${name.slice(0, 64)}' is in both 'context' and example ${e}`);
      features[name] = value;
    }
    for (const name of Object.keys(features)) {
      if (!columns.has(name)) throw ferryError('FERRY_ERR_INPUT_UNEXPECTED', { model, input: name.slice(0, 64), expected: inputs.map((i) => i.name).join(', ') });
    }
    for (const input of inputs) {
      if (!(input.name in features)) throw ferryError('FERRY_ERR_INPUT_MISSING', { model, input: input.name });
      columns.get(input.name)!.push(featureValue(model, input, features[input.name], e));
    }
  });
  return { inputs: inputs.map((input) => tensorFromNested(input.name, input.datatype, columns.get(input.name), limits)) };
}

/** A feature's value shaped as one row of its input. */
function featureValue(model: string, input: TensorMetadata, value: unknown, example: number): unknown {
  if (input.shape.length === 1) {
    if (!Array.isArray(value)) return value;
    if (value.length === 1) return value[0];
    throw invalidRequest(`feature '${input.name}' of example ${example} has ${value.length} values; input '${input.name}' takes one per example`);
  }
  if (input.shape.length === 2) return Array.isArray(value) ? value : [value];
  throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
    model, detail: `input '${input.name}' has shape [${input.shape.join(',')}]; examples feed inputs of shape [-1] or [-1, F]`,
  });
}

