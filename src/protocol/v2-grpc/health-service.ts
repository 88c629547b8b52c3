import { type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ferryError } from '../../errors/index.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { enumValue } from './schema.ts';
import { bytesService } from './service-definition.ts';
import { unary } from './unary.ts';

export const HEALTH_SERVICE = bytesService('grpc.health.v1.Health', { Check: {}, Watch: { responseStream: true } });

const SERVING = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'SERVING');
const NOT_SERVING = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'NOT_SERVING');
const SERVICE_UNKNOWN = enumValue('grpc.health.v1.HealthCheckResponse.ServingStatus', 'SERVICE_UNKNOWN');
const WATCH_POLL_MS = 1000;

export interface HealthService {
  readonly implementation: UntypedServiceImplementation;
  /** Ends every Watch stream (they never end on their own), so the server can shut down. */
  endWatches(): void;
}

export interface HealthProbes {
  readonly readiness: () => Promise<boolean>;
  readonly liveness: () => boolean;
  readonly startup: () => boolean;
}

/**
 * grpc.health.v1.Health. The server as a whole ('') and the inference service are SERVING while the server is
 * ready (the same verdict as /v2/health/ready). Kubernetes' gRPC probes name a service: `liveness`, `readiness`
 * and `startup` answer what /v2/health/live, /ready and /startup answer.
 */
export function healthService(probes: HealthProbes, limit: number): HealthService {
  const watches = new Set<ServerWritableStream<Buffer, Buffer>>();
  const asStatus = (ok: boolean) => (ok ? SERVING : NOT_SERVING);
  const services: Record<string, () => Promise<number>> = {
    '': async () => asStatus(await probes.readiness()),
    'inference.GRPCInferenceService': async () => asStatus(await probes.readiness()),
    readiness: async () => asStatus(await probes.readiness()),
    liveness: async () => asStatus(probes.liveness()),
    startup: async () => asStatus(probes.startup()),
  };
  const probeOf = (service: string) => (Object.hasOwn(services, service) ? services[service] : undefined);

  const check = unary<{ service: string }>('HealthCheckRequest', 'HealthCheckResponse', limit, async (r) => {
    const probe = probeOf(r.service);
    if (!probe) throw ferryError('FERRY_ERR_SERVICE_UNKNOWN', { service: r.service.slice(0, 200) });
    return { status: await probe() };
  });

  const watch = (call: ServerWritableStream<Buffer, Buffer>) => {
    let request: { service: string };
    try {
      request = decodeMessage<{ service: string }>('HealthCheckRequest', call.request, limit);
    } catch {
      call.end();
      return;
    }
    const probe = probeOf(request.service);
    let last = -1;
    let ended = false;
    const send = async () => {
      const next = probe ? await probe() : SERVICE_UNKNOWN;
      if (next !== last && !ended) call.write(encodeMessage('HealthCheckResponse', { status: next }, limit));
      last = next;
    };
    void send();
    const timer = setInterval(() => void send(), WATCH_POLL_MS);
    timer.unref();
    watches.add(call);
    call.on('cancelled', () => {
      ended = true;
      clearInterval(timer);
      watches.delete(call);
    });
    call.on('finish', () => {
      ended = true;
      clearInterval(timer);
    });
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
