import type { InferRequest, Parameters } from '../tensor/index.ts';

/**
 * Which requests may be concatenated along dimension 0: same input names (in order), datatypes, shapes beyond
 * dimension 0, and equal parameters. Requested outputs are not part of the key: the merged request asks for their
 * union, and the data plane applies each request's own selection.
 */

/** Rows along dimension 0 shared by every input, or undefined when the request cannot be merged. */
export function requestRows(request: InferRequest): number | undefined {
  const { inputs } = request;
  if (inputs.length === 0) return undefined;
  const rows = inputs[0]!.shape[0];
  if (rows === undefined) return undefined; // a scalar input has no batch dimension
  for (let i = 1; i < inputs.length; i++) if (inputs[i]!.shape[0] !== rows) return undefined;
  return rows;
}

export function mergeKey(request: InferRequest): string {
  let key = parametersKey(request.parameters);
  for (const input of request.inputs) {
    key += `\u0001${input.name}\u0002${input.datatype}\u0002${input.shape.slice(1).join(',')}\u0002${parametersKey(input.parameters)}`;
  }
  return key;
}

// binary_data_size describes one request's wire encoding, not the tensor: it must not keep requests apart.
const ENCODING_ONLY = new Set(['binary_data_size']);

function parametersKey(parameters: Parameters | undefined): string {
  if (parameters === undefined) return '';
  const names = Object.keys(parameters).filter((name) => !ENCODING_ONLY.has(name));
  if (names.length === 0) return '';
  names.sort();
  return JSON.stringify(names.map((name) => [name, parameters[name]]));
}
