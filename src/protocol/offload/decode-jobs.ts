import type { InferRequest, TensorMetadata } from '../../tensor/index.ts';
import type { ProtocolLimits } from '../http/limits.ts';
import { parseLenientJson } from '../http/lenient-json.ts';
import { holdsUnsafeNumber } from '../http/exact-json.ts';
import { invalidRequest, isJsonObject } from '../http/request-shape.ts';
import { decodeInferRequest } from '../v2-rest/decode-request.ts';
import { decodePredict, type PredictFormat } from '../tfserving-rest/predict-request.ts';
import { decodeExamples } from '../tfserving-rest/examples.ts';
import type { TfVerb } from '../tfserving-rest/model-path.ts';
import { decodeMessage, type DecodedMessage } from '../seldon/message-request.ts';
import { decodeJsonInput, type DecodedInput } from '../mlflow/decode-input.ts';
import { decodeMessage as decodeProtobuf } from '../v2-grpc/codec.ts';
import { decodeInferRequest as decodeGrpcInfer } from '../v2-grpc/decode-request.ts';
import type { WireInferRequest } from '../v2-grpc/messages.ts';
import { ferryError, isFerryError, type ErrorCode, type ErrorParams } from '../../errors/index.ts';
import type { ShapeLimits } from '../../tensor/index.ts';

/**
 * Every request decoder whose work grows with the body, as a pure function of the body's bytes and plain
 * arguments: the same function runs on the event loop for a small body and on a decode thread for a large one
 * (decode-pool.ts), so that both give the same answer and the same errors.
 */
export interface DecodeJobs {
  /** V2 JSON, or the JSON header of the binary extension and the raw tensors after it. */
  'v2': { args: { headerLength: number | undefined; limits: ProtocolLimits }; result: { request: InferRequest } };
  /** TF Serving predict, classify or regress (the last two without their requested outputs, which the route adds). */
  'tfserving': {
    args: { model: string; verb: TfVerb; inputs: readonly TensorMetadata[]; exactIntegers: boolean; limits: ProtocolLimits };
    result: { request: InferRequest; format?: PredictFormat };
  };
  /** A SeldonMessage, as JSON or in the form field `json=`. */
  'seldon': {
    args: { model: string; contentType: string; inputs: readonly TensorMetadata[]; exactIntegers: boolean; limits: ProtocolLimits };
    result: DecodedMessage;
  };
  /** MLflow /invocations JSON (CSV decodes in slices on the event loop). */
  'mlflow-json': { args: { model: string; inputs: readonly TensorMetadata[]; exactIntegers: boolean; limits: ProtocolLimits }; result: DecodedInput };
  /**
   * A gRPC ModelInferRequest: the protobuf message (a malformed one fails the job), then the request it carries;
   * a request the message cannot make is a `refusal`, so that the caller counts it against the model it names.
   */
  'grpc-infer': {
    args: { maxMessageBytes: number; limits: ShapeLimits };
    result: { model: string; version: string; id: string; request?: InferRequest; refusal?: { code: ErrorCode; params: ErrorParams } };
  };
}

export type DecodeKind = keyof DecodeJobs;

type Decoders = { readonly [K in DecodeKind]: (body: Buffer, args: DecodeJobs[K]['args']) => DecodeJobs[K]['result'] };

export const DECODERS: Decoders = {
  'v2': (body, { headerLength, limits }) => ({ request: decodeInferRequest(body, headerLength, limits) }),
  'tfserving': (body, { model, verb, inputs, exactIntegers, limits }) => {
    if (body.length === 0) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'the document is empty' });
    const parsed = parseLenientJson(body.toString('utf8'), exactIntegers, limits);
    if (verb === 'predict') return decodePredict(model, parsed, inputs, limits);
    return { request: decodeExamples(model, verb, parsed, inputs, limits) };
  },
  'seldon': (body, { model, contentType, inputs, exactIntegers, limits }) => decodeMessage(model, seldonMessage(body, contentType, exactIntegers, limits), inputs, limits),
  'mlflow-json': (body, { model, inputs, exactIntegers, limits }) => decodeJsonInput(model, parseLenientJson(body.toString('utf8'), exactIntegers, limits), inputs, limits),
  'grpc-infer': (body, { maxMessageBytes, limits }) => {
    const wire = decodeProtobuf<WireInferRequest>('ModelInferRequest', body, maxMessageBytes);
    try {
      return { model: wire.model_name, version: wire.model_version, id: wire.id, request: decodeGrpcInfer(wire, limits).request };
    } catch (error) {
      if (!isFerryError(error)) throw error;
      return { model: wire.model_name, version: wire.model_version, id: wire.id, refusal: { code: error.code, params: error.params } };
    }
  },
};

/** JSON, or the form field `json=` that Seldon's Python client and wrappers send. */
export function seldonMessage(body: Buffer, contentType: string, exactIntegers: boolean, limits: ProtocolLimits): unknown {
  const text = seldonText(body, contentType);
  const message = parseLenientJson(text, exactIntegers, limits);
  // `meta` comes back in the answer: a long integer in its tags is read again exactly rather than echoed rounded.
  if (!exactIntegers && isJsonObject(message) && holdsUnsafeNumber(message['meta'])) return parseLenientJson(text, true, limits);
  return message;
}

function seldonText(body: Buffer, contentType: string): string {
  if (body.length === 0) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'empty body' });
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') throw ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type });
  if (type === 'application/x-www-form-urlencoded') {
    const json = new URLSearchParams(body.toString('utf8')).get('json');
    if (json === null) throw invalidRequest("a form-encoded SeldonMessage goes in the field 'json'");
    return json;
  }
  return body.toString('utf8');
}
