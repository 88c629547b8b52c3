import { createHash } from 'node:crypto';
import type { InferRequest, Parameters } from '../tensor/index.ts';
import { encodeRawData } from '../tensor/index.ts';

/**
 * The cache key of a request to one model version: SHA-256 of its canonical bytes (model, version, parameters,
 * inputs sorted by name with datatype, shape and raw little-endian data, and the requested output names).
 *
 * Why SHA-256 and not a fast non-crypto hash: keys are computed from client-controlled bytes and a shared
 * (Redis) cache serves every client, so a hash whose collisions can be crafted (xxHash, murmur) would let one
 * client make another receive its cached prediction. Node's SHA-256 is native OpenSSL code (SHA-NI on x86), far
 * faster than any non-crypto hash written in JS for inputs above a few hundred bytes; measured figures are in
 * docs/performance.md ("Measured in isolation").
 */
export function cacheKey(model: string, version: string, request: InferRequest): string {
  const inputs = [...request.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const raw = inputs.map((input) => encodeRawData(input.datatype, input.data));
  // JSON frames every variable-length field; byte lengths frame the raw data that follows, so no two
  // different requests produce the same byte stream.
  const header = JSON.stringify([
    'ferry-cache-1',
    model,
    version,
    canonicalParameters(request.parameters),
    inputs.map((input, i) => [input.name, input.datatype, input.shape, canonicalParameters(input.parameters), raw[i]!.byteLength]),
    request.outputs === undefined ? null : [...new Set(request.outputs.map((output) => output.name))].sort(),
  ]);
  const hash = createHash('sha256').update(header);
  for (const bytes of raw) hash.update(bytes);
  return hash.digest('base64url');
}

// Parameters that only choose the wire encoding of a request or response: the same prediction either way.
const ENCODING_ONLY = new Set(['binary_data_size', 'binary_data_output', 'binary_data']);

function canonicalParameters(parameters: Parameters | undefined): [string, string | number | boolean][] {
  if (parameters === undefined) return [];
  return Object.keys(parameters)
    .filter((name) => !ENCODING_ONLY.has(name))
    .sort()
    .map((name) => [name, parameters[name]!]);
}
