import {
  credentials, loadPackageDefinition, Metadata, type CallOptions, type ChannelCredentials, type Client, type ClientDuplexStream, type ClientOptions,
  type ClientReadableStream, type GrpcObject, type ServiceClientConstructor, type ServiceError,
} from '@grpc/grpc-js';
import { seldonPackageDefinition } from '../seldon-grpc/schema.ts';
import { packageDefinition } from './schema.ts';

type UnaryMethod = (
  request: object, metadata: Metadata, options: CallOptions, callback: (error: ServiceError | null, response: unknown) => void,
) => { on(event: 'metadata', listener: (metadata: Metadata) => void): unknown };
type StreamMethod = (metadata: Metadata, options: CallOptions) => ClientDuplexStream<object, unknown>;
type ServerStreamMethod = (request: object, metadata: Metadata, options: CallOptions) => ClientReadableStream<unknown>;

export interface CallSettings {
  /** Epoch ms, as grpc-js takes it. */
  readonly deadline?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface GrpcServiceClient {
  /** A unary call; rejects with the grpc-js ServiceError (code, details, metadata). */
  call<T = unknown>(method: string, request?: object, settings?: CallSettings): Promise<T>;
  /** A unary call that also answers the initial metadata the server sent (the first value of each key). */
  callWithMetadata<T = unknown>(method: string, request?: object, settings?: CallSettings): Promise<{ response: T; metadata: Record<string, string> }>;
  /** A bidirectional stream (ModelStreamInfer). */
  duplex(method: string, settings?: CallSettings): ClientDuplexStream<object, unknown>;
  /** A server stream (Health.Watch). */
  serverStream(method: string, request?: object, settings?: CallSettings): ClientReadableStream<unknown>;
  close(): void;
}

/**
 * Clients for Ferry's services, generated at run time from Ferry's own .proto files as any grpc-js user would
 * load them: snake_case fields, 64-bit integers as strings, enums as names, bytes as Buffers, defaults filled in.
 * Used by the tests, the benchmark and the documented example.
 */
export function grpcClient(
  service: 'inference.GRPCInferenceService' | 'grpc.health.v1.Health' | 'seldon.protos.Seldon' | 'seldon.protos.Model' | 'seldon.protos.Generic', address: string, options: ClientOptions = {},
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): GrpcServiceClient {
  let node: GrpcObject = loadPackageDefinition(service.startsWith('seldon.') ? seldonPackageDefinition() : packageDefinition());
  const parts = service.split('.');
  for (const part of parts.slice(0, -1)) node = node[part] as GrpcObject;
  const Constructor = node[parts.at(-1)!] as ServiceClientConstructor;
  const client = new Constructor(address, channelCredentials, options) as Client & Record<string, unknown>;
  const metadataOf = (settings: CallSettings) => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(settings.metadata ?? {})) metadata.set(key, value);
    return metadata;
  };
  const callOptions = (settings: CallSettings): CallOptions => (settings.deadline === undefined ? {} : { deadline: settings.deadline });
  return {
    call<T>(method: string, request: object = {}, settings: CallSettings = {}) {
      const fn = client[method] as UnaryMethod;
      return new Promise<T>((resolve, reject) => {
        fn.call(client, request, metadataOf(settings), callOptions(settings), (error, response) => (error ? reject(error) : resolve(response as T)));
      });
    },
    callWithMetadata<T>(method: string, request: object = {}, settings: CallSettings = {}) {
      const fn = client[method] as UnaryMethod;
      const received: Record<string, string> = {};
      return new Promise<{ response: T; metadata: Record<string, string> }>((resolve, reject) => {
        const call = fn.call(client, request, metadataOf(settings), callOptions(settings), (error, response) => (error ? reject(error) : resolve({ response: response as T, metadata: received })));
        call.on('metadata', (metadata) => {
          for (const [key, values] of Object.entries(metadata.getMap())) received[key] = String(values);
        });
      });
    },
    duplex(method, settings = {}) {
      return (client[method] as StreamMethod).call(client, metadataOf(settings), callOptions(settings));
    },
    serverStream(method, request = {}, settings = {}) {
      return (client[method] as ServerStreamMethod).call(client, request, metadataOf(settings), callOptions(settings));
    },
    close: () => client.close(),
  };
}
