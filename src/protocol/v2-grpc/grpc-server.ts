import { experimental, ResponderBuilder, Server, ServerCredentials, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { DataPlane } from '../../dataplane/index.ts';
import type { ShapeLimits } from '../../tensor/index.ts';
import { HEALTH_SERVICE, healthService } from './health-service.ts';
import { guardInference } from './inference-auth.ts';
import { INFERENCE_SERVICE, inferenceService, type InferenceServiceOptions } from './inference-service.ts';
import { packageDefinition } from './schema.ts';
import type { InflightBudget } from '../transport/inflight-budget.ts';
import { inflightInterceptor } from './inflight-interceptor.ts';
import type { ProtocolLimits } from '../http/limits.ts';
import { SELDON_GENERIC_SERVICE, SELDON_MODEL_SERVICE, SELDON_SERVICE, seldonPackageDefinition, seldonServices } from '../seldon-grpc/index.ts';

export interface GrpcServerOptions {
  readonly dataplane: DataPlane;
  readonly host: string;
  /** 0 = an ephemeral port, reported by start(). */
  readonly port: number;
  /** grpc.max_message_bytes: the largest message received or sent. */
  readonly maxMessageBytes: number;
  readonly authorizeManagement: InferenceServiceOptions['authorizeManagement'];
  /** limits.max_rank and limits.max_elements for request tensors. */
  readonly shapeLimits?: ShapeLimits;
  /** With `auth.inference: token`: checks the `infer` scope on every method but the health ones. */
  readonly authorizeInference?: InferenceServiceOptions['authorizeManagement'];
  /** How long stop() lets in-flight calls finish before cutting them off. */
  readonly shutdownGraceMs?: number;
  /** TLS from files, reloaded when they change; with a client CA, clients must present a certificate. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string | undefined; readonly reloadIntervalMs: number };
  /** Request bytes in flight, shared with the HTTP server: calls that do not fit are refused. */
  readonly inflight?: InflightBudget;
  /** Connection management: streams per connection, idle timeout, maximum age and its grace. */
  readonly connections?: GrpcConnectionOptions;
  /** The decoders' and encoders' limits, for Seldon's messages (nesting, string length, answer size). */
  readonly limits?: ProtocolLimits;
  /** Told of each feedback message Seldon's SendFeedback accepts. */
  readonly onFeedback?: (model: string, reward: number) => void;
  /**
   * Decides whether a new connection is let in (limits.max_connections, shared with HTTP). Given, the port is
   * Ferry's own listener, which hands admitted connections to grpc-js; absent, grpc-js listens itself.
   */
  readonly admitConnection?: (socket: Socket) => boolean;
  /** Told of every call as its status is sent (the access log); absent, calls are not intercepted at all. */
  readonly onCallEnd?: (call: { method: string; code: number; ms: number; peer: string; bytesOut: number }) => void;
}

export interface GrpcConnectionOptions {
  readonly maxConcurrentStreams: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
}

export interface GrpcServer {
  /** Binds and serves; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops accepting calls, lets in-flight calls finish (up to the grace period), then closes. */
  stop(): Promise<void>;
}

/**
 * grpc-js refuses a message past its own limit with text that names no setting, as soon as the length prefix
 * arrives. Its limit sits at twice Ferry's, so a message up to twice the limit reaches Ferry's check
 * (RESOURCE_EXHAUSTED naming grpc.max_message_bytes); beyond that grpc-js refuses it unread.
 */
export const TRANSPORT_LIMIT_FACTOR = 2;
const MAX_TRANSPORT_BYTES = 2 ** 32 - 1; // the gRPC length prefix is 32 bits

/** Reports each call's method, status, duration, peer and bytes sent when its status goes out. */
function callEndInterceptor(onCallEnd: NonNullable<GrpcServerOptions['onCallEnd']>): ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    let bytesOut = 0;
    return new ServerInterceptingCall(call, new ResponderBuilder()
      .withSendMessage((message: unknown, next) => {
        if (Buffer.isBuffer(message)) bytesOut += message.length;
        next(message);
      })
      .withSendStatus((status, next) => {
        try {
          onCallEnd({ method: method.path, code: status.code, ms: performance.now() - started, peer: call.getPeer(), bytesOut });
        } catch {
          // the access log never fails a call
        }
        next(status);
      })
      .build());
  };
}

/** Plain text, or TLS whose files grpc-js re-reads every `reloadIntervalMs` (new connections get the new ones). */
function serverCredentials(tls: GrpcServerOptions['tls']): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile, privateKeyFile: tls.keyFile, refreshIntervalMs: tls.reloadIntervalMs,
  });
  const clientCa = tls.clientCaFile === undefined
    ? null
    : new experimental.FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs: tls.reloadIntervalMs });
  // grpc-js's declaration names the first parameter for the CA; its implementation takes the identity there.
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, clientCa !== null);
}

/**
 * Ferry's gRPC server: the Open Inference Protocol's GRPCInferenceService, Seldon's Seldon and Model services,
 * grpc.health.v1.Health and server reflection.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const limit = options.maxMessageBytes;
  const interceptors = [
    ...(options.onCallEnd ? [callEndInterceptor(options.onCallEnd)] : []),
    ...(options.inflight ? [inflightInterceptor(options.inflight)] : []),
  ];
  const connections = options.connections;
  const server = new Server({
    'grpc.max_receive_message_length': Math.min(limit * TRANSPORT_LIMIT_FACTOR, MAX_TRANSPORT_BYTES),
    'grpc.max_send_message_length': Math.min(limit, MAX_TRANSPORT_BYTES),
    // channelz keeps per-call counters and traces that nothing here reads.
    'grpc.enable_channelz': 0,
    ...(connections ? {
      'grpc.max_concurrent_streams': connections.maxConcurrentStreams,
      'grpc.max_connection_idle_ms': connections.idleTimeoutMs,
      'grpc.max_connection_age_ms': connections.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': connections.maxConnectionAgeGraceMs,
    } : {}),
    ...(interceptors.length > 0 ? { interceptors } : {}),
  });
  const health = healthService({
    readiness: () => options.dataplane.ready(), liveness: () => options.dataplane.live(), startup: () => options.dataplane.started(),
  }, limit);
  const inference = inferenceService({
    dataplane: options.dataplane, maxMessageBytes: limit, authorizeManagement: options.authorizeManagement,
    ...(options.shapeLimits ? { shapeLimits: options.shapeLimits } : {}),
  });
  const guarded = (service: typeof inference) => (options.authorizeInference ? guardInference(service, options.authorizeInference) : service);
  server.addService(INFERENCE_SERVICE, guarded(inference));
  const seldon = seldonServices({
    dataplane: options.dataplane, maxMessageBytes: limit,
    ...(options.limits ? { limits: options.limits } : {}), ...(options.onFeedback ? { onFeedback: options.onFeedback } : {}),
  });
  server.addService(SELDON_SERVICE, guarded(seldon.seldon));
  server.addService(SELDON_MODEL_SERVICE, guarded(seldon.model));
  server.addService(SELDON_GENERIC_SERVICE, guarded(seldon.generic));
  server.addService(HEALTH_SERVICE, health.implementation);
  new ReflectionService({ ...packageDefinition(), ...seldonPackageDefinition() }).addToServer(server);

  let stopping: Promise<void> | undefined;
  let listener: NetServer | undefined;
  return {
    start() {
      const admit = options.admitConnection;
      if (admit !== undefined) {
        const injector = server.createConnectionInjector(serverCredentials(options.tls));
        const own = createNetServer((socket) => {
          if (admit(socket)) injector.injectConnection(socket);
        });
        listener = own;
        return new Promise((resolve, reject) => {
          own.once('error', reject);
          own.listen({ host: options.host, port: options.port }, () => {
            own.off('error', reject);
            resolve((own.address() as AddressInfo).port);
          });
        });
      }
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${options.port}`, serverCredentials(options.tls), (error, port) => (error ? reject(error) : resolve(port)));
      });
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        listener?.close();
        health.endWatches();
        // grpc-js does not call tryShutdown's callback once forceShutdown has destroyed a session with a stream
        // still open: the forced close is complete when forceShutdown returns.
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, options.shutdownGraceMs ?? 30_000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopping;
    },
  };
}
