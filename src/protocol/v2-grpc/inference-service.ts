import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { CLASS_LABELS_FILE, type DataPlane, type RequestTrace } from '../../dataplane/index.ts';
import { DEFAULT_SHAPE_LIMITS, type ShapeLimits } from '../../tensor/index.ts';
import { asFerryError, ferryError } from '../../errors/index.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { loadOptionsFrom, type LoadParameter } from '../triton/load-parameters.ts';
import { asGuardedRequest, deadlineOf } from './call-context.ts';
import { decodeInferRequest, type DecodedInfer } from './decode-request.ts';
import { decodeOffThread, decodesOffThread } from '../offload/decode-pool.ts';
import type { DecodeJobs } from '../offload/decode-jobs.ts';
import { encodeInferResponse } from './encode-response.ts';
import { encodeInferAnswer } from './encode-sliced.ts';
import type { WireInferRequest } from './messages.ts';
import { modelConfig } from './model-config.ts';
import { bytesService } from './service-definition.ts';
import { decodeHere, streamInfer, type StreamedRequest } from './stream-infer.ts';
import { unary, type UnaryCall } from './unary.ts';

export const PROTOCOL = 'v2-grpc';
const TRACE_NAME = 'inference.GRPCInferenceService/ModelInfer';
const STREAM_TRACE_NAME = 'inference.GRPCInferenceService/ModelStreamInfer';

/** A metadata value as text (the first, when it is repeated). */
function metadataText(call: Pick<UnaryCall, 'metadata'>, key: string): string | undefined {
  const value = call.metadata.get(key)[0];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');
}

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
  /** limits.max_rank and limits.max_elements for request tensors. */
  readonly shapeLimits?: ShapeLimits;
}

interface NameVersion { readonly name: string; readonly version: string }
interface RepositoryModel { readonly model_name: string }
type WireLoadParameter = { readonly parameter_choice?: string } & Readonly<Record<string, unknown>>;
interface RepositoryLoad extends RepositoryModel { readonly parameters?: Readonly<Record<string, WireLoadParameter>> }

/** ModelRepositoryParameter map → the values Triton's load parameters carry (bytes_param for files, string_param for config). */
function loadParameters(wire: RepositoryLoad['parameters']): Record<string, LoadParameter> {
  const out: Record<string, LoadParameter> = {};
  for (const [key, p] of Object.entries(wire ?? {})) {
    const choice = p.parameter_choice;
    const value = choice === undefined ? undefined : p[choice];
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `load parameter '${key.slice(0, 64)}' must be a string_param or a bytes_param` });
    }
    out[key] = value;
  }
  return out;
}

const versionOf = (v: string) => (v === '' ? undefined : v);

/** GRPCInferenceService: each method decodes, calls the data plane, encodes. Nothing here decides. */
export function inferenceService(options: InferenceServiceOptions): UntypedServiceImplementation {
  const { dataplane, maxMessageBytes: limit } = options;
  const shapeLimits = options.shapeLimits ?? DEFAULT_SHAPE_LIMITS;

  /** One ModelInfer request, shared by the unary and the streaming method. */
  const infer = async (wire: WireInferRequest | OffThreadInfer, call: UnaryCall | ServerDuplexStream<Buffer, Buffer>, signal: AbortSignal, trace?: RequestTrace) => {
    const { model, version, request } = 'offThread' in wire
      ? await dataplane.decodeAsync(wire.offThread.model, PROTOCOL, async () => decodedOffThread(wire.offThread), trace, { version: versionOf(wire.offThread.version) })
      : dataplane.decode(wire.model_name, PROTOCOL, () => decodeInferRequest(wire, shapeLimits), trace, { version: versionOf(wire.model_version) });
    const headers = metadataHeaders(call.metadata.getMap());
    const response = await dataplane.infer(model, request, { protocol: PROTOCOL, version, deadline: deadlineOf(call, request.parameters), signal, trace, headers });
    return dataplane.encode(trace, () => encodeInferResponse(response));
  };

  /** Ends a request's trace with the answer's status, passing the answer or the failure on. */
  const endTrace = (trace: RequestTrace, answer: Promise<Awaited<ReturnType<typeof infer>>>) => answer.then(
    (value) => {
      trace.end(200);
      return value;
    },
    (error: unknown) => {
      const failure = asFerryError(error);
      trace.end(failure.http, failure.message);
      throw failure;
    },
  );

  /**
   * A unary ModelInfer: the version that answered goes back in the initial metadata (`ferry-model-version`, beside
   * the response's own model_version), and when the call is traced, `traceparent` too (W3C trace context from the
   * call's metadata).
   */
  const unaryInfer = (wire: WireInferRequest | OffThreadInfer, call: UnaryCall, signal: AbortSignal) => {
    const trace = dataplane.startTrace(TRACE_NAME, PROTOCOL, metadataText(call, 'traceparent'), metadataText(call, 'tracestate'), performance.now());
    const metadata = new Metadata();
    if (trace !== undefined) metadata.set('traceparent', trace.traceparent);
    const answered = infer(wire, call, signal, trace).then(
      (answer) => {
        metadata.set(MODEL_VERSION_HEADER, answer.model_version);
        call.sendMetadata(metadata);
        return answer;
      },
      (error: unknown) => {
        if (trace !== undefined) call.sendMetadata(metadata);
        throw error;
      },
    );
    // Encoded here rather than by unary(): a large answer is joined in slices, not in one step.
    return (trace === undefined ? answered : endTrace(trace, answered)).then((answer) => encodeInferAnswer(answer, limit));
  };

  /**
   * Each request on a ModelStreamInfer stream is its own trace, a child of the trace context the stream opened
   * with: one stream may carry thousands of requests, and each is decoded, queued and batched on its own.
   */
  const tracedStreamInfer = (call: ServerDuplexStream<Buffer, Buffer>) => (wire: WireInferRequest | OffThreadInfer, signal: AbortSignal) => {
    const trace = dataplane.startTrace(STREAM_TRACE_NAME, PROTOCOL, metadataText(call, 'traceparent'), metadataText(call, 'tracestate'), performance.now());
    return trace === undefined ? infer(wire, call, signal) : endTrace(trace, infer(wire, call, signal, trace));
  };

  /** A message on a ModelStreamInfer stream: a large one is decoded on a decode thread, as ModelInfer's. */
  const decodeStreamed = (bytes: Buffer): StreamedRequest<WireInferRequest | OffThreadInfer> | Promise<StreamedRequest<OffThreadInfer>> => {
    if (bytes.length > limit || !decodesOffThread(bytes.length)) return decodeHere(bytes, limit);
    return decodeOffThread('grpc-infer', bytes, { maxMessageBytes: limit, limits: shapeLimits })
      .then((offThread) => ({ request: { offThread }, echo: { model_name: offThread.model, model_version: offThread.version, id: offThread.id } }));
  };

  return {
    ServerLive: unary('ServerLiveRequest', 'ServerLiveResponse', limit, () => ({ live: dataplane.live() })),
    ServerReady: unary('ServerReadyRequest', 'ServerReadyResponse', limit, async () => ({ ready: await dataplane.ready() })),
    ModelReady: unary<NameVersion>('ModelReadyRequest', 'ModelReadyResponse', limit, (r) => ({
      ready: dataplane.modelReady(r.name, { version: versionOf(r.version) }),
    })),
    ServerMetadata: unary('ServerMetadataRequest', 'ServerMetadataResponse', limit, () => dataplane.serverMetadata()),
    ModelMetadata: unary<NameVersion>('ModelMetadataRequest', 'ModelMetadataResponse', limit, (r) => dataplane.modelMetadata(r.name, { version: versionOf(r.version) })),
    ModelInfer: unary<WireInferRequest | OffThreadInfer>('ModelInferRequest', 'ModelInferResponse', limit, unaryInfer, async (bytes) => ({
      offThread: await decodeOffThread('grpc-infer', bytes, { maxMessageBytes: limit, limits: shapeLimits }),
    })),
    ModelStreamInfer: (call: ServerDuplexStream<Buffer, Buffer>) => streamInfer(call, limit, decodeStreamed, tracedStreamInfer(call)),
    ModelConfig: unary<NameVersion>('ModelConfigRequest', 'ModelConfigResponse', limit, (r) => ({
      config: modelConfig(dataplane.modelMetadata(r.name, { version: versionOf(r.version) }), dataplane.classLabelFile(r.name)),
    })),
    ModelStatistics: unary<NameVersion>('ModelStatisticsRequest', 'ModelStatisticsResponse', limit, (r) => ({
      model_stats: dataplane.statistics(r.name === '' ? undefined : r.name, versionOf(r.version)),
    })),
    RepositoryIndex: unary<{ ready: boolean }>('RepositoryIndexRequest', 'RepositoryIndexResponse', limit, (r) => ({
      models: dataplane.repositoryIndex(r.ready),
    })),
    RepositoryModelLoad: unary<RepositoryLoad>('RepositoryModelLoadRequest', 'RepositoryModelLoadResponse', limit, async (r, call) => {
      options.authorizeManagement(asGuardedRequest(call));
      await dataplane.loadModel(r.model_name, loadOptionsFrom(r.model_name, loadParameters(r.parameters), CLASS_LABELS_FILE));
      return {};
    }),
    RepositoryModelUnload: unary<RepositoryModel>('RepositoryModelUnloadRequest', 'RepositoryModelUnloadResponse', limit, async (r, call) => {
      options.authorizeManagement(asGuardedRequest(call));
      await dataplane.unloadModel(r.model_name);
      return {};
    }),
  };
}

/** A ModelInferRequest decoded on a decode thread (a large message). */
interface OffThreadInfer {
  readonly offThread: DecodeJobs['grpc-infer']['result'];
}

/** What decodeInferRequest would have answered or thrown for the message. */
function decodedOffThread(decoded: OffThreadInfer['offThread']): DecodedInfer {
  if (decoded.refusal !== undefined) throw ferryError(decoded.refusal.code, decoded.refusal.params);
  return { model: decoded.model, version: versionOf(decoded.version), request: decoded.request! };
}

/** Text metadata as headers (graphs route on them); binary (`-bin`) values are left out. */
function metadataHeaders(map: Record<string, string | Buffer>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) if (typeof value === 'string') headers[key] = value;
  return headers;
}
