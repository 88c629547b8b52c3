import type { FastifyInstance } from 'fastify';
import type { FerryError } from '../../errors/index.ts';
import { toFerryError } from './fastify-errors.ts';

/**
 * Sets up one protocol's fastify scope the way every REST adapter needs it: bodies read as bytes (JSON, binary
 * tensors, CSV, form data, or no Content-Type at all — each adapter decodes its own), and every error rendered
 * by `render` in that protocol's shape with the catalogue's status (and Retry-After when the queue was full).
 */
export function setUpProtocolScope(app: FastifyInstance, bodyLimit: number, render: (failure: FerryError) => string): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error, request, reply) => {
    const failure = toFerryError(error, { bodyLimit, contentLength: request.headers['content-length'], contentType: request.headers['content-type'] });
    if (failure.http >= 500) request.log.error({ err: error }, 'request failed');
    const retryAfter = failure.params['retry_after_s'];
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    void reply.code(failure.http).header('content-type', 'application/json').send(render(failure));
  });
}
