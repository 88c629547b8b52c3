import type { InferRequest, RequestedOutput, Tensor, TensorData } from '../tensor/index.ts';

/**
 * Concatenates requests that share a merge key into one request along dimension 0. Input order, names, datatypes
 * and trailing shapes come from the first request (the key guarantees the others match).
 */
export function mergeRequests(requests: readonly InferRequest[], rowsPerRequest: readonly number[]): InferRequest {
  const first = requests[0]!;
  let totalRows = 0;
  for (const rows of rowsPerRequest) totalRows += rows;
  const inputs = first.inputs.map((input, index) =>
    concatTensor(input, requests.map((request) => request.inputs[index]!), totalRows),
  );
  const outputs = unionOutputs(requests);
  return {
    ...(first.parameters === undefined ? {} : { parameters: first.parameters }),
    inputs,
    ...(outputs === undefined ? {} : { outputs }),
  };
}

function concatTensor(template: Tensor, parts: readonly Tensor[], totalRows: number): Tensor {
  const shape = [totalRows, ...template.shape.slice(1)];
  const merged: Tensor = { name: template.name, datatype: template.datatype, shape, data: concatData(parts.map((part) => part.data)) };
  return template.parameters === undefined ? merged : { ...merged, parameters: template.parameters };
}

/** One allocation and one memcpy per part; BYTES elements are shared, not copied. */
export function concatData(parts: readonly TensorData[]): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as readonly Uint8Array[][]).flat();
  let length = 0;
  for (const part of parts) length += part.length;
  const Storage = first.constructor as new (length: number) => Exclude<TensorData, Uint8Array[]>;
  const out = new Storage(length);
  let offset = 0;
  for (const part of parts) {
    // Same constructor on both sides (the key fixed the datatype), so set() is a plain byte copy.
    (out as Float64Array).set(part as Float64Array, offset);
    offset += part.length;
  }
  return out;
}

/** Union of requested outputs by name; undefined (all outputs) as soon as one request asks for everything. */
function unionOutputs(requests: readonly InferRequest[]): readonly RequestedOutput[] | undefined {
  const byName = new Map<string, RequestedOutput>();
  for (const request of requests) {
    if (request.outputs === undefined) return undefined;
    for (const output of request.outputs) if (!byName.has(output.name)) byName.set(output.name, output);
  }
  return [...byName.values()];
}
