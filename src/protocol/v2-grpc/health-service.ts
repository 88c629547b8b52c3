import { type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ferryError } from '../../errors/index.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { enumValue } from './schema.ts';
import { bytesService } from './service-definition.ts';
import { unary } from './unary.ts';

export const HEALTH_SERVICE = bytesService('grpc.health.v1.Health', { Check: {}, Watch: { responseStream: true } });

/** Services a health check may name; '' is the server as a whole. */
const KNOWN = new Set(['', 'inference.GRPCInferenceService']);
const SERVING = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'SERVING');
const NOT_SERVING = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'NOT_SERVING');
const SERVICE_UNKNOWN = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'SERVICE_UNKNOWN');
const WATCH_POLL_MS = 1000;

export interface HealthService {
  readonly implementation: UntypedServiceImplementation;
  /** Ends every Watch stream (they never end on their own), so the server can shut down. */
  endWatches(): void;
}

/** grpc.health.v1.Health: SERVING while the data plane is ready, NOT_SERVING before start-up and during shutdown. */
export function healthService(ready: () => boolean, limit: number): HealthService {
  const watches = new Set<ServerWritableStream<Buffer, Buffer>>();
  const current = () => (ready() ? SERVING : NOT_SERVING);

  const check = unary<{ service: string }>('HealthCheckRequest', 'HealthCheckResponse', limit, (r) => {
    if (!KNOWN.has(r.service)) throw ferryError('FERRY_ERR_SERVICE_UNKNOWN', { service: r.service.slice(0, 200) });
    return { status: current() };
  });

  const watch = (call: ServerWritableStream<Buffer, Buffer>) => {
    let request: { service: string };
    try {
      request = decodeMessage<{ service: string }>('HealthCheckRequest', call.request, limit);
    } catch {
      call.end();
      return;
    }
    const known = KNOWN.has(request.service);
    let last = -1;
    const send = () => {
      const next = known ? current() : SERVICE_UNKNOWN;
      if (next !== last) call.write(encodeMessage('HealthCheckResponse', { status: next }, limit));
      last = next;
    };
    send();
    const timer = setInterval(send, WATCH_POLL_MS);
    timer.unref();
    watches.add(call);
    call.on('cancelled', () => {
      clearInterval(timer);
      watches.delete(call);
    });
    call.on('finish', () => clearInterval(timer));
  };

  return {
    implementation: { Check: check, Watch: watch },
    endWatches() {
      for (const call of watches) {
        call.write(encodeMessage('HealthCheckResponse', { status: NOT_SERVING }, limit));
        call.end();
      }
      watches.clear();
    },
  };
}
