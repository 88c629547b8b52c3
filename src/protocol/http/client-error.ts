import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ferryError, type FerryError } from '../../errors/index.ts';

/** A request Node's HTTP parser refused (or that timed out) as a catalogue error. */
export function clientFailure(error: Error & { code?: string; reason?: string }): FerryError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return ferryError('FERRY_ERR_REQUEST_TIMEOUT', { setting: 'http.request_timeout_ms' });
  if (error.code === 'HPE_HEADER_OVERFLOW') return ferryError('FERRY_ERR_HEADERS_TOO_LARGE', {});
  // llhttp says what it refused ("Transfer-Encoding can't be present with Content-Length").
  return ferryError('FERRY_ERR_HTTP_MALFORMED', { detail: error.reason ?? error.message });
}

/**
 * Fastify's clientErrorHandler: a request the HTTP parser cannot read is answered in Ferry's error shape
 * (`{"error": ...}`, with the FERRY_ERR_* code in `ferry-error-code`) before the connection closes, where Fastify
 * would send its own `{"statusCode": 400, "message": "Client Error"}`.
 */
export function answerClientError(error: Error & { code?: string; reason?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const failure = clientFailure(error);
    const body = JSON.stringify({ error: failure.message });
    socket.write(`HTTP/1.1 ${failure.http} ${STATUS_CODES[failure.http] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `ferry-error-code: ${failure.code}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
