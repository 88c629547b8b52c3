import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DataPlane } from '../../dataplane/index.ts';
import { asGuardedRequest, deadlineOf } from './call-context.ts';
import { decodeInferRequest } from './decode-request.ts';
import { encodeInferResponse } from './encode-response.ts';
import type { WireInferRequest } from './messages.ts';
import { modelConfig } from './model-config.ts';
import { bytesService } from './service-definition.ts';
import { streamInfer } from './stream-infer.ts';
import { unary, type UnaryCall } from './unary.ts';

export const PROTOCOL = 'v2-grpc';

export const INFERENCE_SERVICE = bytesService('inference.GRPCInferenceService', {
  ServerLive: {}, ServerReady: {}, ModelReady: {}, ServerMetadata: {}, ModelMetadata: {},
  ModelInfer: {}, ModelStreamInfer: { requestStream: true, responseStream: true },
  ModelConfig: {}, ModelStatistics: {},
  RepositoryIndex: {}, RepositoryModelLoad: {}, RepositoryModelUnload: {},
});

export interface InferenceServiceOptions {
  readonly dataplane: DataPlane;
  /** Largest message received or sent, in bytes (grpc.max_message_bytes). */
  readonly maxMessageBytes: number;
  /** Guards RepositoryModelLoad/Unload as the REST management endpoints are guarded. */
  readonly authorizeManagement: (request: ReturnType<typeof asGuardedRequest>) => void;
}

interface NameVersion { readonly name: string; readonly version: string }
interface RepositoryModel { readonly model_name: string }

const versionOf = (v: string) => (v === '' ? undefined : v);

/** GRPCInferenceService: each method decodes, calls the data plane, encodes. Nothing here decides. */
export function inferenceService(options: InferenceServiceOptions): UntypedServiceImplementation {
  const { dataplane, maxMessageBytes: limit } = options;

  /** One ModelInfer request, shared by the unary and the streaming method. */
  const infer = async (wire: WireInferRequest, call: UnaryCall | ServerDuplexStream<Buffer, Buffer>, signal: AbortSignal) => {
    const { model, version, request, raw } = dataplane.decode(wire.model_name, PROTOCOL, () => decodeInferRequest(wire));
    const response = await dataplane.infer(model, request, { protocol: PROTOCOL, version, deadline: deadlineOf(call, request.parameters), signal });
    return encodeInferResponse(response, raw);
  };

  return {
    ServerLive: unary('ServerLiveRequest', 'ServerLiveResponse', limit, () => ({ live: dataplane.live() })),
    ServerReady: unary('ServerReadyRequest', 'ServerReadyResponse', limit, async () => ({ ready: await dataplane.ready() })),
    ModelReady: unary<NameVersion>('ModelReadyRequest', 'ModelReadyResponse', limit, (r) => ({
      ready: dataplane.modelReady(r.name, { version: versionOf(r.version) }),
    })),
    ServerMetadata: unary('ServerMetadataRequest', 'ServerMetadataResponse', limit, () => dataplane.serverMetadata()),
    ModelMetadata: unary<NameVersion>('ModelMetadataRequest', 'ModelMetadataResponse', limit, (r) => dataplane.modelMetadata(r.name, { version: versionOf(r.version) })),
    ModelInfer: unary<WireInferRequest>('ModelInferRequest', 'ModelInferResponse', limit, infer),
    ModelStreamInfer: (call: ServerDuplexStream<Buffer, Buffer>) => streamInfer(call, limit, (wire, signal) => infer(wire, call, signal)),
    ModelConfig: unary<NameVersion>('ModelConfigRequest', 'ModelConfigResponse', limit, (r) => ({
      config: modelConfig(dataplane.modelMetadata(r.name, { version: versionOf(r.version) })),
    })),
    ModelStatistics: unary<NameVersion>('ModelStatisticsRequest', 'ModelStatisticsResponse', limit, (r) => ({
      model_stats: dataplane.statistics(r.name === '' ? undefined : r.name, versionOf(r.version)),
    })),
    RepositoryIndex: unary<{ ready: boolean }>('RepositoryIndexRequest', 'RepositoryIndexResponse', limit, (r) => ({
      models: dataplane.repositoryIndex(r.ready),
    })),
    RepositoryModelLoad: unary<RepositoryModel>('RepositoryModelLoadRequest', 'RepositoryModelLoadResponse', limit, async (r, call) => {
      options.authorizeManagement(asGuardedRequest(call));
      await dataplane.loadModel(r.model_name);
      return {};
    }),
    RepositoryModelUnload: unary<RepositoryModel>('RepositoryModelUnloadRequest', 'RepositoryModelUnloadResponse', limit, async (r, call) => {
      options.authorizeManagement(asGuardedRequest(call));
      await dataplane.unloadModel(r.model_name);
      return {};
    }),
  };
}
