export { createGrpcServer, type GrpcServer, type GrpcServerOptions } from './grpc-server.ts';
export { PROTO_DIR, PROTO_FILES, packageDefinition } from './schema.ts';
export { grpcClient, type GrpcServiceClient, type CallSettings } from './client.ts';
export { routeGrpcLogs, type GrpcLogSink } from './grpc-logs.ts';
