import type { IncomingHttpHeaders } from 'node:http';
import { ferryError } from '../../errors/index.ts';
import type { DataPlane, RequestTrace } from '../../dataplane/index.ts';
import { deadlineFrom } from '../http/request-options.ts';
import type { ProtocolLimits } from '../http/limits.ts';
import type { EncodedBody } from '../http/json-sink.ts';
import { decodeInferRequest, parseHeaderLength } from './decode-request.ts';
import { encodeInferResponse } from './encode-response.ts';
import { decodeRawRequest } from './raw-request.ts';
import { decodeOffThread, decodesOffThread } from '../offload/decode-pool.ts';

export const PROTOCOL = 'v2-rest';

export interface InferAnswer {
  readonly contentType: string;
  readonly headerLength?: number;
  readonly body: EncodedBody;
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
  // A large JSON part is parsed on a decode thread; raw tensors after a small header are only viewed, here.
  const jsonBytes = headerLength === undefined ? (body?.length ?? 0) : Math.min(headerLength, body?.length ?? 0);
  const request = headerLength !== 0 && Buffer.isBuffer(body) && decodesOffThread(jsonBytes)
    ? (await dataplane.decodeAsync(model, PROTOCOL, () => decodeOffThread('v2', body, { headerLength, limits }), trace, { version })).request
    : dataplane.decode(model, PROTOCOL, () => {
      if (!Buffer.isBuffer(body) || body.length === 0) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'empty body' });
      return headerLength === 0
        ? decodeRawRequest(model, dataplane.modelMetadata(model, { version }), body)
        : decodeInferRequest(body, headerLength, limits);
    }, trace, { version });
  const timeoutUs = request.parameters?.['timeout'];
  const deadline = deadlineFrom(headers['ferry-timeout-ms'], arrivedAt, typeof timeoutUs === 'number' && timeoutUs > 0 ? timeoutUs / 1000 : undefined);
  const response = await dataplane.infer(model, request, { protocol: PROTOCOL, version, deadline, signal, trace, headers });
  const encoded = await dataplane.encodeAsync(trace, () => encodeInferResponse(response, request, limits));
  return encoded.headerLength === undefined
    ? { contentType: 'application/json', body: encoded.body, version: response.modelVersion }
    : { contentType: 'application/octet-stream', headerLength: encoded.headerLength, body: encoded.body, version: response.modelVersion };
}
