import type { IncomingMessage, ServerResponse } from 'node:http';
import { ferryError, type FerryError } from '../../errors/index.ts';
import type { DataPlane, RequestTrace } from '../../dataplane/index.ts';
import { toFerryError } from '../http/fastify-errors.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { clientGoneSignal } from '../http/request-options.ts';
import { compressBody, COMPRESS_MIN_BYTES, decodeContentEncoding, isEncoded, responseEncoding } from '../http/content-encoding.ts';
import type { ProtocolLimits } from '../http/limits.ts';
import { answerInfer, PROTOCOL, type InferAnswer } from './answer-infer.ts';
import { allocateBody, declaredHeaderLength, joinBody } from './join-body.ts';

/** The server span's name: the route, not the model, so that span names stay few (the model is an attribute). */
const TRACE_NAME = 'POST /v2/models/{model}/infer';
/** Bodies from this size on are assembled as they arrive; smaller ones are joined at the end (often one chunk, no copy). */
const ASSEMBLE_MIN_BYTES = 256 * 1024;
const INFER_PATH = /^\/v2\/models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/infer(?:\?.*)?$/;

export interface FastPathOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  readonly limits: ProtocolLimits;
  /** True while the server drains: answers then close their connection. */
  readonly stopping: () => boolean;
  /** Counts streamed body bytes of a request that declared no length against a shared budget: the refusal, if over. */
  readonly takeStreamed?: (req: IncomingMessage, bytes: number) => FerryError | undefined;
}

export interface InferFastPath {
  /**
   * Answers a V2 infer request; returns false for any other request, which then goes to Fastify. With
   * `expectsContinue` (the request sent `Expect: 100-continue`), a request refused before its body is read (too
   * large, queue full) is answered instead of `100 Continue`, so the client never sends the body; any other V2
   * infer request gets `100 Continue` here. For requests this returns false for, the caller sends it.
   */
  handle(req: IncomingMessage, res: ServerResponse, expectsContinue?: boolean): boolean;
}

interface InferTarget {
  readonly model: string;
  readonly version: string | undefined;
}

/** The model and version of a `POST /v2/models/{m}[/versions/{v}]/infer`, or undefined for any other request. */
function inferTarget(req: IncomingMessage): InferTarget | undefined {
  if (req.method !== 'POST' || req.url === undefined) return undefined;
  const match = INFER_PATH.exec(req.url);
  if (!match) return undefined;
  try {
    return { model: decodeURIComponent(match[1]!), version: match[2] === undefined ? undefined : decodeURIComponent(match[2]) };
  } catch {
    return undefined; // malformed percent-encoding: let Fastify answer it
  }
}

/**
 * `POST /v2/models/{m}[/versions/{v}]/infer` straight on Node's HTTP server, ahead of Fastify's router: the hot
 * path of a model server is this one route, and skipping the framework's per-request machinery is worth ~15% of a
 * core. The answers are the ones the Fastify route gives (same decoder, data plane, encoder and error shape).
 */
export function createInferFastPath(options: FastPathOptions): InferFastPath {
  const { dataplane, bodyLimit } = options;
  const tooLarge = (size: number | string) =>
    ferryError('FERRY_ERR_BODY_TOO_LARGE', { size, limit: bodyLimit, setting: 'http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES' });

  /** What refuses a request before its body is read: a declared length over the limit, or a full queue. */
  function refusalBeforeBody(req: IncomingMessage, target: InferTarget): { failure: FerryError; close: boolean } | undefined {
    const declared = Number(req.headers['content-length'] ?? 0);
    try {
      // An unknown model is 404 whatever the body holds; then shed before reading the body: a full queue answers 429 at once.
      dataplane.refuseIfSaturated(target.model, { version: target.version }, PROTOCOL);
    } catch (error) {
      return { failure: toFerryError(error, { bodyLimit }), close: options.stopping() || declared > bodyLimit };
    }
    if (declared > bodyLimit) return { failure: tooLarge(declared), close: true };
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): boolean {
    const target = inferTarget(req);
    if (target === undefined) return false;
    const arrivedAt = Date.now();
    const refusal = refusalBeforeBody(req, target);
    if (refusal !== undefined) {
      // A body that was never asked for never comes, so the connection cannot carry another request: the client
      // would have to send it first (RFC 9110, 10.1.1). Closing it lets such a refusal cost no more than its headers.
      fail(res, refusal.failure, refusal.close || expectsContinue);
      req.resume(); // a body that does come is discarded unread
      return true;
    }
    if (expectsContinue) res.writeContinue();
    const trace = dataplane.startTrace(TRACE_NAME, PROTOCOL, req.headers['traceparent'], req.headers['tracestate'], performance.now());
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const headerLength = declaredHeaderLength(req.headers['inference-header-content-length']);
    // A large body of declared length is copied into place as it comes (refusalBeforeBody has bounded it).
    const declared = Number(req.headers['content-length']);
    const assembled = Number.isSafeInteger(declared) && declared >= ASSEMBLE_MIN_BYTES ? allocateBody(declared, headerLength) : undefined;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      const refusal = size > bodyLimit ? tooLarge(`more than ${bodyLimit}`) : options.takeStreamed?.(req, chunk.length);
      if (refusal !== undefined) {
        fail(res, refusal, true);
        refused = true;
        chunks.length = 0;
        return;
      }
      if (assembled !== undefined && size <= assembled.length) assembled.set(chunk, size - chunk.length);
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (refused) return;
      const signal = clientGoneSignal(res);
      const joined = assembled !== undefined && chunks.length === 0 && size === assembled.length ? assembled : joinBody(chunks, size, headerLength);
      const failed = (error: unknown) => {
        const failure = toFerryError(error, { bodyLimit });
        fail(res, failure, options.stopping(), trace?.traceparent);
        trace?.end(failure.http, failure.message);
      };
      const answer = (body: Buffer) => {
        answerInfer(dataplane, target.model, target.version, body, req.headers, signal, arrivedAt, options.limits, trace).then(
          (answered) => send(res, answered, req.headers['accept-encoding'], options.stopping(), trace).then(() => trace?.end(200), failed),
          failed,
        );
      };
      // Compressed bodies are inflated off the event loop; the binary header length counts the inflated bytes.
      const encoding = req.headers['content-encoding'];
      if (isEncoded(encoding)) decodeContentEncoding(joined, encoding, bodyLimit).then(answer, failed);
      else answer(joined);
    });
    return true;
  }

  return { handle };
}

/** Writes an answer, compressed when the client's Accept-Encoding takes it and it is large enough to gain. */
async function send(res: ServerResponse, answer: InferAnswer, accept: string | string[] | undefined, stopping: boolean, trace: RequestTrace | undefined): Promise<void> {
  const headers: Record<string, string | number> = { 'content-type': answer.contentType, [MODEL_VERSION_HEADER]: answer.version };
  let { chunks, length } = answer.body;
  const coding = length >= COMPRESS_MIN_BYTES ? responseEncoding(accept) : undefined;
  if (coding !== undefined) {
    const compressed = await compressBody(chunks, coding);
    chunks = [compressed];
    length = compressed.length;
    headers['content-encoding'] = coding;
    headers['vary'] = 'accept-encoding';
  }
  headers['content-length'] = length;
  if (answer.headerLength !== undefined) headers['inference-header-content-length'] = answer.headerLength;
  if (stopping) headers['connection'] = 'close';
  if (trace !== undefined) headers['traceparent'] = trace.traceparent;
  res.writeHead(200, headers);
  await writeChunks(res, chunks);
}

/** The chunks one after the other, each written when the socket has taken the one before (no copy into one buffer). */
async function writeChunks(res: ServerResponse, chunks: readonly Buffer[]): Promise<void> {
  for (let i = 0; i < chunks.length - 1; i++) {
    if (!res.write(chunks[i]!)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done).off('close', done);
        resolve();
      };
      res.on('drain', done).on('close', done);
    });
    if (res.destroyed) return;
  }
  res.end(chunks.at(-1));
}

function fail(res: ServerResponse, failure: FerryError, close: boolean, traceparent?: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: failure.message });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (traceparent !== undefined) headers['traceparent'] = traceparent;
  const retryAfter = failure.params['retry_after_s'];
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (close) headers['connection'] = 'close';
  res.writeHead(failure.http, headers).end(body);
}
