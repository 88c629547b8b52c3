import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';

/**
 * One log line per HTTP request, written when its answer has gone out (or its connection closed first): method,
 * path (without the query), status (0 when the connection closed before an answer), milliseconds from the headers'
 * arrival, bytes in (Content-Length) and out (written to the socket for this answer, headers included), the peer's
 * address, and the `traceparent` when a Fastify route answered it (the V2 infer fast path writes its headers at once).
 */
export function httpAccessLog(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const socket = req.socket;
    const writtenBefore = socket.bytesWritten;
    const done = () => {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const traceparent = res.getHeader('traceparent');
      logger.info({
        method: req.method,
        path: query === -1 ? url : url.slice(0, query),
        status: res.writableFinished ? res.statusCode : 0,
        ms: Math.round((performance.now() - started) * 1000) / 1000,
        bytes_in: Number(req.headers['content-length'] ?? 0),
        bytes_out: socket.bytesWritten - writtenBefore,
        peer: req.socket.remoteAddress,
        ...(typeof traceparent === 'string' ? { traceparent } : {}),
      }, 'access');
    };
    res.once('close', done);
  };
}

export interface GrpcCallRecord {
  readonly method: string;
  /** The gRPC status code the call ended with (0 = OK). */
  readonly code: number;
  readonly ms: number;
  readonly peer: string;
  readonly bytesOut: number;
}

/** The gRPC twin of httpAccessLog: one line per call, when its status is sent. */
export function grpcAccessLog(logger: Logger): (call: GrpcCallRecord) => void {
  return (call) => logger.info({ method: call.method, grpc_code: call.code, ms: Math.round(call.ms * 1000) / 1000, bytes_out: call.bytesOut, peer: call.peer }, 'access');
}
