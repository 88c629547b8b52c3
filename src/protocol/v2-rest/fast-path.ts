import type { IncomingMessage, ServerResponse } from 'node:http';
import { ferryError, type FerryError } from '../../errors/index.ts';
import type { DataPlane } from '../../dataplane/index.ts';
import { toFerryError } from '../http/fastify-errors.ts';
import { clientGoneSignal } from '../http/request-options.ts';
import { answerInfer, PROTOCOL } from './answer-infer.ts';
import { declaredHeaderLength, joinBody } from './join-body.ts';

const INFER_PATH = /^\/v2\/models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/infer(?:\?.*)?$/;

export interface FastPathOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  /** True while the server drains: answers then close their connection. */
  readonly stopping: () => boolean;
}

/**
 * `POST /v2/models/{m}[/versions/{v}]/infer` straight on Node's HTTP server, ahead of Fastify's router: the hot
 * path of a model server is this one route, and skipping the framework's per-request machinery is worth ~15% of a
 * core. The answers are the ones the Fastify route gives (same decoder, data plane, encoder and error shape).
 * Returns false for any other request, which then goes to Fastify.
 */
export function createInferFastPath(options: FastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { dataplane, bodyLimit } = options;
  return (req, res) => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const match = INFER_PATH.exec(req.url);
    if (!match) return false;
    const arrivedAt = Date.now();
    let model: string;
    let version: string | undefined;
    try {
      model = decodeURIComponent(match[1]!);
      version = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    } catch {
      return false; // malformed percent-encoding: let Fastify answer it
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > bodyLimit) {
      fail(res, ferryError('FERRY_ERR_BODY_TOO_LARGE', { size: declared, limit: bodyLimit, setting: 'http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES' }), true);
      req.resume();
      return true;
    }
    try {
      // Shed before reading the body: a full queue answers 429 at once and the body is discarded unread.
      dataplane.refuseIfSaturated(model, { version }, PROTOCOL);
    } catch (error) {
      fail(res, toFerryError(error, { bodyLimit }), options.stopping());
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimit) {
        if (!tooLarge) fail(res, ferryError('FERRY_ERR_BODY_TOO_LARGE', { size: `more than ${bodyLimit}`, limit: bodyLimit, setting: 'http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES' }), true);
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) return;
      const signal = clientGoneSignal(res);
      const body = joinBody(chunks, size, declaredHeaderLength(req.headers['inference-header-content-length']));
      answerInfer(dataplane, model, version, body, req.headers, signal, arrivedAt).then(
        (answer) => {
          const headers: Record<string, string | number> = { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body) };
          if (answer.headerLength !== undefined) headers['inference-header-content-length'] = answer.headerLength;
          if (options.stopping()) headers['connection'] = 'close';
          res.writeHead(200, headers).end(answer.body);
        },
        (error: unknown) => fail(res, toFerryError(error, { bodyLimit }), options.stopping()),
      );
    });
    return true;
  };
}

function fail(res: ServerResponse, failure: FerryError, close: boolean): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: failure.message });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const retryAfter = failure.params['retry_after_s'];
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (close) headers['connection'] = 'close';
  res.writeHead(failure.http, headers).end(body);
}
