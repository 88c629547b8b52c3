import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { FerryConfig } from './config/index.ts';
import type { DataPlane } from './dataplane/index.ts';
import { grpcAccessLog, httpAccessLog, type GrpcCallRecord } from './observe/access-log.ts';
import type { Logger } from './observe/logger.ts';
import type { FerryMetrics } from './observe/metrics.ts';
import { createPayloadLogger, type PayloadLogger } from './observe/payload-log/index.ts';
import { createTracing, type RequestTracer } from './observe/tracing/index.ts';

export interface Observability {
  readonly payloadLog: PayloadLogger | undefined;
  readonly tracer: RequestTracer | undefined;
  /** Called with every HTTP request when the access log is on; undefined when it is off. */
  readonly httpAccess: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  readonly grpcAccess: ((call: GrpcCallRecord) => void) | undefined;
  /** Traces every Fastify route (all but the V2 infer fast path, which traces itself). */
  traceFastify(http: FastifyInstance, dataplane: DataPlane): void;
  /** Sends what the payload log holds and exports pending spans. */
  close(): Promise<void>;
}

/**
 * Composition-root wiring of what `payload_log`, `tracing` and `access_log` switch on. Each is undefined when off,
 * so that the request path pays one undefined check for it and builds nothing.
 */
export function createObservability(config: Readonly<FerryConfig>, logger: Logger, metrics: FerryMetrics): Observability {
  const payloadLog = createPayloadLogger(config.payload_log, (sink, outcome, events) => metrics.payloadLog.inc({ sink, outcome }, events));
  const tracer = createTracing(config.tracing);
  const access = config.access_log ? logger.child({ component: 'access' }) : undefined;
  return {
    payloadLog,
    tracer,
    httpAccess: access ? httpAccessLog(access) : undefined,
    grpcAccess: access ? grpcAccessLog(access) : undefined,
    traceFastify(http, dataplane) {
      if (!tracer) return;
      http.addHook('onRequest', (request, reply, done) => {
        const name = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
        const trace = dataplane.startTrace(name, 'http', request.headers['traceparent'], request.headers['tracestate'], performance.now() - reply.elapsedTime);
        if (trace) {
          dataplane.attachTrace(request.raw, trace);
          void reply.header('traceparent', trace.traceparent);
        }
        done();
      });
      http.addHook('onResponse', (request, reply, done) => {
        dataplane.traceOf(request.raw)?.end(reply.statusCode);
        done();
      });
    },
    async close() {
      await payloadLog?.close();
      await tracer?.shutdown();
    },
  };
}
