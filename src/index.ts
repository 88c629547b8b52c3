/** Ferry's public API: nothing else is public. */
export { createServer, type FerryServer, type ServerOptions } from './server.ts';
export { loadConfig, type FerryConfig, type FerryConfigInput } from './config/index.ts';
export { FerryError, ERRORS, type ErrorCode } from './errors/index.ts';
export type { Runtime, ModelInstance, ModelSignature, ModelSpec, ModelDir, RuntimeContext, ExecuteResult } from './runtimes/runtime.ts';
export type { Tensor, TensorMetadata, InferRequest, InferResponse, Datatype, Parameters } from './tensor/index.ts';
export { defineModel, type ModelDefinition, type ModelOutput } from './runtimes/js/index.ts';
