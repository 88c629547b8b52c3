// The decoders every protocol runs on a request body, as fuzz targets: each takes bytes (or a gRPC message) and
// either decodes it or throws a catalogue client error (4xx). Shared by the CI fuzz suite and scripts/fuzz-long.ts.
import fc from 'fast-check';
import { isFerryError } from '../../src/errors/index.ts';
import { DEFAULT_LIMITS } from '../../src/protocol/http/limits.ts';
import { parseLenientJson } from '../../src/protocol/http/lenient-json.ts';
import { decodeInferRequest } from '../../src/protocol/v2-rest/decode-request.ts';
import { decodeInferRequest as decodeGrpcRequest } from '../../src/protocol/v2-grpc/decode-request.ts';
import { decodeMessage as decodeProtobuf, encodeMessage as encodeProtobuf } from '../../src/protocol/v2-grpc/codec.ts';
import type { WireInferRequest } from '../../src/protocol/v2-grpc/messages.ts';
import { decodePredict } from '../../src/protocol/tfserving-rest/predict-request.ts';
import { decodeExamples } from '../../src/protocol/tfserving-rest/examples.ts';
import { decodeMessage as decodeSeldon } from '../../src/protocol/seldon/message-request.ts';
import { decodeJsonInput } from '../../src/protocol/mlflow/decode-input.ts';
import { decodeCsv } from '../../src/protocol/mlflow/csv.ts';
import type { TensorMetadata } from '../../src/tensor/index.ts';

/** Signatures the decoders read against: one float input, a table of named columns, one 2-D input, 64-bit and text. */
export const SIGNATURES: readonly (readonly TensorMetadata[])[] = [
  [{ name: 'x', datatype: 'FP32', shape: [-1] }],
  [{ name: 'a', datatype: 'INT64', shape: [-1] }, { name: 'b', datatype: 'BOOL', shape: [-1, 1] }, { name: 'c', datatype: 'BYTES', shape: [-1] }],
  [{ name: 'm', datatype: 'FP64', shape: [-1, 3] }],
  [{ name: 'i', datatype: 'INT8', shape: [-1, -1] }],
];

export interface Target {
  readonly name: string;
  readonly input: fc.Arbitrary<Buffer>;
  run(body: Buffer, signature: readonly TensorMetadata[]): unknown;
}

const DIMS = fc.oneof(fc.nat(8), fc.constantFrom(0, -1, 1e9, 2 ** 40, 1e300, 2 ** 53 + 2, 1.5, 67_108_864));
const SHAPES = fc.array(DIMS, { maxLength: 5 }).map((dims) => dims as unknown[]).chain((dims) => fc.oneof(fc.constant(dims), fc.constant(dims.length > 0 ? [...dims.slice(1), 'x'] : 'x')));
const DATATYPES = fc.constantFrom('FP32', 'FP64', 'FP16', 'BF16', 'INT8', 'INT32', 'INT64', 'UINT64', 'BOOL', 'BYTES', 'nope');
const VALUE = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant(null), fc.constantFrom('NaN', '-Infinity', '9007199254740993'), fc.record({ b64: fc.string({ maxLength: 8 }) }));
const DATA = fc.oneof(fc.array(VALUE, { maxLength: 12 }), fc.array(fc.array(VALUE, { maxLength: 4 }), { maxLength: 4 }), VALUE, fc.jsonValue({ maxDepth: 4 }));
const DEEP = fc.nat(300).map((n) => `${'['.repeat(n)}1${']'.repeat(n)}`);

/** JSON text of `value`, sometimes cut, spliced with a deep list or a stray token: malformed bodies too. */
function mutated(value: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  const text = value.map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 6, arbitrary: text },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat(), fc.nat(6)).map(([t, at, cut]) => t.slice(0, at % (t.length + 1)) + t.slice((at % (t.length + 1)) + cut)) },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat(), fc.oneof(DEEP, fc.constantFrom('NaN', '-Infinity', '1e999', '"\\ud800"', ']', '{', '[[[', '12345678901234567890'))).map(([t, at, token]) => t.slice(0, at % (t.length + 1)) + token + t.slice(at % (t.length + 1))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
  ).map((t) => Buffer.from(t));
}

const v2Tensor = fc.record({ name: fc.constantFrom('x', 'a', 'm', ''), datatype: DATATYPES, shape: SHAPES, data: DATA }, { requiredKeys: ['name', 'datatype', 'shape'] });
const v2Body = fc.record({ id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), inputs: fc.array(v2Tensor, { maxLength: 3 }), parameters: fc.dictionary(fc.string({ maxLength: 4 }), VALUE, { maxKeys: 3 }), outputs: fc.array(fc.record({ name: fc.string({ maxLength: 4 }) }), { maxLength: 2 }) }, { requiredKeys: ['inputs'] });

const v2Valid = fc.array(fc.double({ noNaN: true }), { maxLength: 8 }).map((data) => ({ inputs: [{ name: 'x', datatype: 'FP64', shape: [data.length], data }] }));

/** A V2 binary body: a JSON header naming binary_data_size, then that many (or other) bytes. */
const v2BinaryValid = fc.nat(8).map((n) => {
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [n], parameters: { binary_data_size: 4 * n } }] }));
  const body = Buffer.concat([Buffer.alloc(4), header, Buffer.alloc(4 * n, 1)]);
  body.writeUInt32LE(header.length);
  return body;
});
const v2BinaryMutated = fc.tuple(
  fc.record({ name: fc.constantFrom('x', 'a'), datatype: DATATYPES, shape: SHAPES, parameters: fc.record({ binary_data_size: fc.oneof(fc.nat(64), fc.constantFrom(-1, 2 ** 40, 1.5)) }) }),
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: -2, max: 2 }),
).map(([input, payload, skew]) => {
  const header = Buffer.from(JSON.stringify({ inputs: [input] }));
  const body = Buffer.concat([Buffer.alloc(4), header, payload]);
  body.writeUInt32LE(Math.max(0, header.length + skew));
  return body;
});

const grpcInput = fc.record({
  name: fc.constantFrom('x', 'a', ''),
  datatype: DATATYPES,
  shape: fc.array(fc.oneof(fc.nat(8), fc.constantFrom(1e9, 2 ** 40, 2 ** 53 - 1)), { maxLength: 5 }),
  contents: fc.record({ fp32_contents: fc.array(fc.float(), { maxLength: 8 }), int64_contents: fc.array(fc.integer(), { maxLength: 8 }), bytes_contents: fc.array(fc.uint8Array({ maxLength: 4 }), { maxLength: 4 }) }, { requiredKeys: [] }),
}, { requiredKeys: ['name', 'datatype', 'shape'] });
const grpcValid = fc.array(fc.float(), { maxLength: 8 }).map((values) => ({
  model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length], contents: { fp32_contents: values } }],
}));
const grpcBody = fc.oneof(
  { weight: 1, arbitrary: grpcValid.map((message) => encodeProtobuf('ModelInferRequest', message, Number.MAX_SAFE_INTEGER)) },
  { weight: 4, arbitrary: fc.record({ model_name: fc.constantFrom('m', ''), inputs: fc.array(grpcInput, { maxLength: 3 }), raw_input_contents: fc.array(fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)), { maxLength: 3 }) }, { requiredKeys: ['model_name', 'inputs'] })
    .map((message) => encodeProtobuf('ModelInferRequest', message, Number.MAX_SAFE_INTEGER)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)) },
);

const tfBody = mutated(fc.oneof(
  fc.record({ instances: fc.oneof(DATA, fc.array(fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm', 'z'), DATA, { maxKeys: 3 }), { maxLength: 4 })), signature_name: fc.constantFrom('serving_default', 'other') }, { requiredKeys: ['instances'] }),
  fc.record({ inputs: fc.oneof(DATA, fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm'), DATA, { maxKeys: 3 })) }),
  fc.record({ examples: fc.array(fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm'), DATA, { maxKeys: 3 }), { maxLength: 3 }), context: fc.dictionary(fc.constantFrom('x', 'a'), DATA, { maxKeys: 2 }) }, { requiredKeys: ['examples'] }),
));

// Bodies the first signature (one FP32 vector x) takes, so that every run decodes some whatever the seed. The TF
// Serving target reads even-length bodies as predict requests: a trailing space makes the length even.
const finiteNumbers = fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 8 });
const evenLength = (text: string) => Buffer.from(text.length % 2 === 0 ? text : `${text} `);
const tfValid = finiteNumbers.map((instances) => evenLength(JSON.stringify({ instances })));
const seldonValid = finiteNumbers.map((ndarray) => Buffer.from(JSON.stringify({ data: { ndarray } })));

const seldonValue = fc.oneof(
  fc.record({ data: fc.record({ names: fc.array(fc.constantFrom('x', 'a', 'b', 'c', 'm'), { maxLength: 3 }), ndarray: DATA, tensor: fc.record({ shape: SHAPES, values: fc.array(VALUE, { maxLength: 12 }) }) }, { requiredKeys: [] }), meta: fc.record({ puid: fc.string({ maxLength: 4 }), tags: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }) }, { requiredKeys: ['data'] }),
  fc.record({ strData: fc.string({ maxLength: 8 }) }),
  fc.record({ binData: fc.string({ maxLength: 8 }) }),
  fc.record({ jsonData: fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm'), DATA, { maxKeys: 3 }) }),
);
const seldonBody = mutated(seldonValue);
/** The form-encoded body Seldon's Python client sends: the message in the field `json`. */
const seldonForm = fc.tuple(seldonBody, fc.boolean()).map(([json, named]) => Buffer.from(named ? `json=${encodeURIComponent(json.toString())}` : `x=${json.toString('base64')}`));

const mlflowBody = mutated(fc.oneof(
  fc.record({ dataframe_split: fc.record({ columns: fc.array(fc.constantFrom('x', 'a', 'b', 'c', 'm', ''), { maxLength: 4 }), data: fc.array(fc.array(VALUE, { maxLength: 4 }), { maxLength: 4 }), index: fc.array(fc.nat(), { maxLength: 4 }) }, { requiredKeys: ['data'] }), params: fc.dictionary(fc.string({ maxLength: 4 }), VALUE, { maxKeys: 2 }) }, { requiredKeys: ['dataframe_split'] }),
  fc.record({ dataframe_records: fc.array(fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm'), VALUE, { maxKeys: 3 }), { maxLength: 4 }) }),
  fc.record({ instances: DATA }),
  fc.record({ inputs: fc.oneof(DATA, fc.dictionary(fc.constantFrom('x', 'a', 'b', 'c', 'm', 'z'), DATA, { maxKeys: 3 })) }),
));
const csvCell = fc.oneof(fc.constantFrom('', '1', '-2.5e3', 'true', '0', 'NaN', 'abc', '"q""x"', '"open', '9007199254740993', ' 7 ', '1-2'), fc.string({ maxLength: 6 }));
const mlflowCsv = fc.tuple(
  fc.array(fc.constantFrom('x', 'a', 'b', 'c', 'm', ''), { minLength: 1, maxLength: 4 }),
  fc.array(fc.array(csvCell, { maxLength: 5 }), { maxLength: 6 }),
  fc.constantFrom('\n', '\r\n', '\r'),
).map(([header, rows, eol]) => Buffer.from([header.join(','), ...rows.map((r) => r.join(','))].join(eol)));
// A table the first signature takes (one FP32 column x), so that every run decodes some bodies whatever the seed.
const mlflowCsvValid = fc.tuple(
  fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String)), { minLength: 1, maxLength: 6 }),
  fc.constantFrom('\n', '\r\n'),
).map(([cells, eol]) => Buffer.from(['x', ...cells].join(eol) + eol));

const json = (body: Buffer) => parseLenientJson(body.toString('utf8'), true, DEFAULT_LIMITS);

export const TARGETS: readonly Target[] = [
  { name: 'V2 JSON', input: fc.oneof(mutated(v2Body), v2Valid.map((v) => Buffer.from(JSON.stringify(v)))), run: (body) => decodeInferRequest(body, undefined, DEFAULT_LIMITS) },
  { name: 'V2 binary', input: fc.oneof({ weight: 4, arbitrary: v2BinaryMutated }, { weight: 1, arbitrary: v2BinaryValid }), run: (body) => decodeInferRequest(body.subarray(4), body.readUInt32LE(0), DEFAULT_LIMITS) },
  { name: 'gRPC', input: grpcBody, run: (body) => decodeGrpcRequest(decodeProtobuf<WireInferRequest>('ModelInferRequest', body, 1 << 20), DEFAULT_LIMITS) },
  { name: 'TF Serving', input: fc.oneof({ weight: 3, arbitrary: tfBody }, { weight: 1, arbitrary: tfValid }), run: (body, signature) => (body.length % 2 === 0 ? decodePredict('m', json(body), signature, DEFAULT_LIMITS) : decodeExamples('m', 'classify', json(body), signature, DEFAULT_LIMITS)) },
  { name: 'Seldon JSON', input: fc.oneof({ weight: 3, arbitrary: seldonBody }, { weight: 1, arbitrary: seldonValid }), run: (body, signature) => decodeSeldon('m', json(body), signature, DEFAULT_LIMITS) },
  {
    name: 'Seldon form', input: seldonForm, run: (body, signature) => {
      const text = new URLSearchParams(body.toString('utf8')).get('json');
      return text === null ? undefined : decodeSeldon('m', parseLenientJson(text, true, DEFAULT_LIMITS), signature, DEFAULT_LIMITS);
    },
  },
  { name: 'MLflow JSON', input: mlflowBody, run: (body, signature) => decodeJsonInput('m', json(body), signature, DEFAULT_LIMITS) },
  { name: 'MLflow CSV', input: fc.oneof({ weight: 3, arbitrary: mlflowCsv }, { weight: 1, arbitrary: mlflowCsvValid }), run: (body, signature) => decodeCsv('m', signature, body, DEFAULT_LIMITS) },
];

/** What one input did: decoded, refused with a catalogue client error, or failed in a way it never may. */
export type Outcome = 'decoded' | 'refused' | { readonly failure: string };

/** Runs one input through a target; anything but a decode or a 4xx catalogue error is a failure, as is taking over `hangMs`. */
export async function runOne(target: Target, body: Buffer, signature: readonly TensorMetadata[], hangMs = 2000): Promise<Outcome> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    await target.run(body, signature);
    outcome = 'decoded';
  } catch (error) {
    outcome = isFerryError(error) && error.http < 500 ? 'refused' : { failure: `${(error as Error)?.stack ?? String(error)}` };
  }
  const elapsed = performance.now() - started;
  if (elapsed > hangMs) return { failure: `took ${elapsed.toFixed(0)} ms` };
  return outcome;
}
