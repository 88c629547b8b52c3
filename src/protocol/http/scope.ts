import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FerryError } from '../../errors/index.ts';
import { Readable } from 'node:stream';
import { compressBody, compressorFor, COMPRESS_MIN_BYTES, decodeContentEncoding, isEncoded, responseEncoding } from './content-encoding.ts';
import { toFerryError } from './fastify-errors.ts';
import { readBody } from './read-body.ts';

/**
 * Sets up one protocol's fastify scope the way every REST adapter needs it: bodies read as bytes (JSON, binary
 * tensors, CSV, form data, or no Content-Type at all — each adapter decodes its own) without one long join of a
 * large body's chunks (read-body.ts), a Content-Encoding (gzip, deflate) undone before the adapter sees the body,
 * answers compressed when Accept-Encoding asks and they are
 * large enough to gain, and every error rendered by `render` in that protocol's shape with the catalogue's status
 * (and Retry-After when the queue was full).
 */
export function setUpProtocolScope(app: FastifyInstance, bodyLimit: number, render: (failure: FerryError) => string): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit }, (req, payload, done) => {
    // A route's own bodyLimit (the repository load's) differs from the server's; any other route takes the scope's.
    const limit = req.routeOptions.bodyLimit !== req.server.initialConfig.bodyLimit ? req.routeOptions.bodyLimit : bodyLimit;
    const encoding = req.headers['content-encoding'];
    readBody(payload, req.headers['content-length'], limit)
      .then((body) => (isEncoded(encoding) ? decodeContentEncoding(body, encoding, bodyLimit) : body))
      .then((body) => done(null, body), (error: unknown) => done(error as Error, undefined));
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (payload instanceof Readable) return compressedStream(request.headers['accept-encoding'], reply, payload);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (Buffer.byteLength(payload) < COMPRESS_MIN_BYTES || reply.hasHeader('content-encoding')) return payload;
    const coding = responseEncoding(request.headers['accept-encoding']);
    if (coding === undefined) return payload;
    reply.header('content-encoding', coding).header('vary', 'accept-encoding').removeHeader('content-length');
    return compressBody(payload, coding);
  });
  app.setErrorHandler((error, request, reply) => {
    const failure = toFerryError(error, { bodyLimit, contentLength: request.headers['content-length'], contentType: request.headers['content-type'] });
    if (failure.http >= 500) request.log.error({ err: error }, 'request failed');
    const retryAfter = failure.params['retry_after_s'];
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    void reply.code(failure.http).header('content-type', 'application/json').send(render(failure));
  });
}

/** A streamed answer (a large one, in chunks), compressed as it streams when the client takes a coding. */
function compressedStream(accept: string | string[] | undefined, reply: FastifyReply, payload: Readable): Readable {
  const coding = reply.hasHeader('content-encoding') ? undefined : responseEncoding(accept);
  if (coding === undefined) return payload;
  reply.header('content-encoding', coding).header('vary', 'accept-encoding').removeHeader('content-length');
  return payload.pipe(compressorFor(coding));
}
