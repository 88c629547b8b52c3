import path from 'node:path';
import protobuf from 'protobufjs';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/** Where Ferry's .proto files live: grpc_service.proto (+ model_config.proto) and health.proto. */
export const PROTO_DIR = path.join(import.meta.dirname, 'proto');
export const PROTO_FILES = ['grpc_service.proto', 'health.proto'] as const;

/**
 * The message types Ferry encodes and decodes itself. Field names keep the proto's snake_case; 64-bit integers
 * decode as Long, bytes as Buffer views into the received message.
 */
function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, path.basename(target));
  root.loadSync([...PROTO_FILES], { keepCase: true });
  root.resolveAll();
  return root;
}

const root = loadRoot();
const type = (name: string): protobuf.Type => root.lookupType(name);

export const TYPES = {
  ServerLiveRequest: type('inference.ServerLiveRequest'),
  ServerLiveResponse: type('inference.ServerLiveResponse'),
  ServerReadyRequest: type('inference.ServerReadyRequest'),
  ServerReadyResponse: type('inference.ServerReadyResponse'),
  ModelReadyRequest: type('inference.ModelReadyRequest'),
  ModelReadyResponse: type('inference.ModelReadyResponse'),
  ServerMetadataRequest: type('inference.ServerMetadataRequest'),
  ServerMetadataResponse: type('inference.ServerMetadataResponse'),
  ModelMetadataRequest: type('inference.ModelMetadataRequest'),
  ModelMetadataResponse: type('inference.ModelMetadataResponse'),
  ModelInferRequest: type('inference.ModelInferRequest'),
  ModelInferResponse: type('inference.ModelInferResponse'),
  ModelStreamInferResponse: type('inference.ModelStreamInferResponse'),
  ModelConfigRequest: type('inference.ModelConfigRequest'),
  ModelConfigResponse: type('inference.ModelConfigResponse'),
  ModelStatisticsRequest: type('inference.ModelStatisticsRequest'),
  ModelStatisticsResponse: type('inference.ModelStatisticsResponse'),
  RepositoryIndexRequest: type('inference.RepositoryIndexRequest'),
  RepositoryIndexResponse: type('inference.RepositoryIndexResponse'),
  RepositoryModelLoadRequest: type('inference.RepositoryModelLoadRequest'),
  RepositoryModelLoadResponse: type('inference.RepositoryModelLoadResponse'),
  RepositoryModelUnloadRequest: type('inference.RepositoryModelUnloadRequest'),
  RepositoryModelUnloadResponse: type('inference.RepositoryModelUnloadResponse'),
  HealthCheckRequest: type('grpc.health.v1.HealthCheckRequest'),
  HealthCheckResponse: type('grpc.health.v1.HealthCheckResponse'),
} as const;

export type MessageName = keyof typeof TYPES;

/** The same files as a proto-loader package definition: what server reflection describes (and clients load). */
export function packageDefinition(): PackageDefinition {
  return loadSync([...PROTO_FILES], {
    includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
}

/** The number of an enum value, for encoding (protobufjs encodes enums from numbers, not names). */
export function enumValue(enumName: string, valueName: string): number {
  const value = root.lookupEnum(enumName).values[valueName];
  if (value === undefined) throw new Error(`${enumName} has no value ${valueName}`);
  return value;
}
