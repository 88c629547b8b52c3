import type { IncomingHttpHeaders } from 'node:http';
import { ferryError } from '../../errors/index.ts';
import type { DataPlane, RequestTrace } from '../../dataplane/index.ts';
import { deadlineFrom } from '../http/request-options.ts';
import { checkResponseSize, type ProtocolLimits } from '../http/limits.ts';
import { decodeInferRequest, parseHeaderLength } from './decode-request.ts';
import { encodeInferResponse } from './encode-response.ts';
import { decodeRawRequest } from './raw-request.ts';

export const PROTOCOL = 'v2-rest';

export interface InferAnswer {
  readonly contentType: string;
  readonly headerLength?: number;
  readonly body: string | Buffer;
  /** The version that answered, for the `ferry-model-version` header. */
  readonly version: string;
}

/**
 * One V2 infer call from raw body bytes to encoded answer; both HTTP paths (Fastify and the fast path) use it.
 * `arrivedAt` (epoch ms, headers parsed) is where the request's deadline counts from. `trace`, when the request is
 * traced, gets the decode and encode spans; the caller ends it.
 */
export async function answerInfer(
  dataplane: DataPlane, model: string, version: string | undefined, body: Buffer | undefined, headers: IncomingHttpHeaders, signal: AbortSignal, arrivedAt: number,
  limits: ProtocolLimits, trace?: RequestTrace,
): Promise<InferAnswer> {
  const headerLength = parseHeaderLength(headers['inference-header-content-length']);
  const request = dataplane.decode(model, PROTOCOL, () => {
    if (!Buffer.isBuffer(body) || body.length === 0) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'empty body' });
    return headerLength === 0
      ? decodeRawRequest(model, dataplane.modelMetadata(model, { version }).inputs, body)
      : decodeInferRequest(body, headerLength, limits);
  }, trace, { version });
  const timeoutUs = request.parameters?.['timeout'];
  const deadline = deadlineFrom(headers['ferry-timeout-ms'], arrivedAt, typeof timeoutUs === 'number' && timeoutUs > 0 ? timeoutUs / 1000 : undefined);
  const response = await dataplane.infer(model, request, { protocol: PROTOCOL, version, deadline, signal, trace, headers });
  const encoded = dataplane.encode(trace, () => encodeWithin(limits, () => encodeInferResponse(response, request)));
  return encoded.headerLength === undefined
    ? { contentType: 'application/json', body: encoded.body, version: response.modelVersion }
    : { contentType: 'application/octet-stream', headerLength: encoded.headerLength, body: encoded.body, version: response.modelVersion };
}

/**
 * An answer within limits.max_response_bytes: one past the limit, or too long for a JavaScript string at all, is
 * refused with the error that names the setting.
 */
function encodeWithin(limits: ProtocolLimits, encode: () => ReturnType<typeof encodeInferResponse>): ReturnType<typeof encodeInferResponse> {
  let encoded;
  try {
    encoded = encode();
  } catch (error) {
    if (error instanceof RangeError) checkResponseSize(Number.MAX_SAFE_INTEGER, limits);
    throw error;
  }
  const { body } = encoded;
  // A string's UTF-8 length is at least its length: only a string near the limit needs counting.
  const size = typeof body === 'string' ? (body.length * 3 > limits.maxResponseBytes ? Buffer.byteLength(body) : 0) : body.length;
  checkResponseSize(size, limits);
  return encoded;
}
