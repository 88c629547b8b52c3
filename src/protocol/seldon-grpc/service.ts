import { randomUUID } from 'node:crypto';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DataPlane, ModelMetadata } from '../../dataplane/index.ts';
import { ferryError } from '../../errors/index.ts';
import type { TensorMetadata } from '../../tensor/index.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../http/limits.ts';
import { chooseModel } from '../http/model-choice.ts';
import { decodeMessage as decodeSeldonJson } from '../seldon/message-request.ts';
import { responseMeta } from '../seldon/message-response.ts';
import { deadlineOf } from '../v2-grpc/call-context.ts';
import { decodeAs, encodeAs } from '../v2-grpc/codec.ts';
import { bytesService } from '../v2-grpc/service-definition.ts';
import { unaryWith, type UnaryCall, type UnaryHandler } from '../v2-grpc/unary.ts';
import { answerMessage, messageAsJson, metaMessage, type WireFeedback, type WireSeldonMessage } from './message-wire.ts';
import { SELDON_TYPES, type SeldonMessageName } from './schema.ts';

export const PROTOCOL = 'seldon-grpc';
const HOW_TO_NAME = "name it in the call's metadata: 'seldon' (the deployment, as Seldon's gateway reads it) or 'ferry-model'";

/** Seldon's external API: what Seldon's gateway serves for a deployment. */
export const SELDON_SERVICE = bytesService('seldon.protos.Seldon', { Predict: {}, SendFeedback: {}, ModelMetadata: {}, GraphMetadata: {} });
/** Seldon's component API for a model: what Seldon's wrappers serve for one model. */
export const SELDON_MODEL_SERVICE = bytesService('seldon.protos.Model', { Predict: {}, SendFeedback: {}, Metadata: {} });
/** Of Seldon's generic component API, the feedback its clients send to any component; the rest has no Ferry meaning. */
export const SELDON_GENERIC_SERVICE = bytesService('seldon.protos.Generic', { SendFeedback: {} });

export interface SeldonGrpcOptions {
  readonly dataplane: DataPlane;
  /** Largest message received or sent, in bytes (grpc.max_message_bytes). */
  readonly maxMessageBytes: number;
  readonly limits?: ProtocolLimits;
  /** Told of each accepted feedback message (the reward is 0 when the message has none). */
  readonly onFeedback?: (model: string, reward: number) => void;
}

const text = (call: UnaryCall, key: string): string | undefined => {
  const value = call.metadata.get(key)[0];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');
};

/** Text metadata as headers (graphs route on them); binary (`-bin`) values are left out. */
function headersOf(call: UnaryCall): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.metadata.getMap())) if (typeof value === 'string') headers[key] = value;
  return headers;
}

/**
 * seldon.protos.Seldon and seldon.protos.Model on Ferry's gRPC port. A call names its model in the metadata key
 * `seldon` (the deployment name Seldon's gateway routes on; `namespace` is accepted and not read) or
 * `ferry-model`; with neither, the only model served answers. Messages map onto the model's inputs and back as
 * the Seldon REST adapter maps them; failures are gRPC statuses from the catalogue.
 */
export function seldonServices(options: SeldonGrpcOptions): Record<'seldon' | 'model' | 'generic', UntypedServiceImplementation> {
  const { dataplane, maxMessageBytes: limit } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const handler = <Request>(request: SeldonMessageName, response: SeldonMessageName, handle: (r: Request, call: UnaryCall, signal: AbortSignal) => object | Promise<object>): UnaryHandler =>
    unaryWith((bytes) => decodeAs<Request>(SELDON_TYPES[request], bytes, limit), (answer) => encodeAs(SELDON_TYPES[response], answer, limit), handle);
  const modelOf = (call: UnaryCall) => chooseModel(dataplane, undefined, text(call, 'seldon') || text(call, 'ferry-model'), HOW_TO_NAME);

  const predict = async (wire: WireSeldonMessage, call: UnaryCall, signal: AbortSignal) => {
    const model = modelOf(call);
    const decoded = dataplane.decode(model, PROTOCOL, () => {
      const { inputs } = dataplane.modelMetadata(model);
      return decodeSeldonJson(model, messageAsJson(wire, limits), inputs, limits);
    });
    // The puid is the request's id: feedback that names it reaches the arms of a graph that answered.
    const puid = typeof decoded.meta['puid'] === 'string' && decoded.meta['puid'] !== '' ? decoded.meta['puid'] : randomUUID();
    const response = await dataplane.infer(model, { ...decoded.request, id: puid }, {
      protocol: PROTOCOL, headers: headersOf(call), deadline: deadlineOf(call, undefined), signal,
    });
    const meta = responseMeta(response, { ...decoded.meta, puid });
    const kind = wire.data_oneof === 'data' && wire.data?.data_oneof === 'tftensor' ? 'tftensor' : decoded.kind;
    return answerMessage(response, kind, metaMessage(meta, dataplane.armIndices(model, meta.routing)));
  };

  const feedback = async (wire: WireFeedback, call: UnaryCall) => {
    const model = modelOf(call);
    const status = dataplane.modelStatus(model);
    const reward = wire.reward ?? 0;
    if (!Number.isFinite(reward)) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'reward' must be a finite number" });
    // The answer's meta says which arms answered (routing, router → arm index) and which request it was (puid).
    const answered = wire.response?.meta;
    const routing = answered?.routing && Object.keys(answered.routing).length > 0 ? { ...answered.routing } : undefined;
    const puid = answered?.puid ? answered.puid : undefined;
    const truth = wire.truth ? messageAsJson(wire.truth, limits) : undefined;
    await dataplane.feedback(model, { requestId: puid, reward, truth, routing });
    options.onFeedback?.(model, reward);
    const version = status.versions.find((v) => v.state === 'AVAILABLE')?.version ?? '';
    return { data: { names: [], ndarray: { values: [] } }, meta: metaMessage(responseMeta({ modelName: model, modelVersion: version }, {}), {}) };
  };

  const metadataOf = (model: string) => modelMetadataMessage(dataplane.modelMetadata(model));

  return {
    seldon: {
      Predict: handler<WireSeldonMessage>('SeldonMessage', 'SeldonMessage', predict),
      SendFeedback: handler<WireFeedback>('Feedback', 'SeldonMessage', feedback),
      ModelMetadata: handler<{ name: string }>('SeldonModelMetadataRequest', 'SeldonModelMetadata', (r, call) => metadataOf(r.name !== '' ? r.name : modelOf(call))),
      GraphMetadata: handler<object>('Empty', 'SeldonGraphMetadata', (_r, call) => {
        const model = modelOf(call);
        const metadata = metadataOf(model);
        return { name: model, models: { [model]: metadata }, inputs: metadata.inputs, outputs: metadata.outputs };
      }),
    },
    model: {
      Predict: handler<WireSeldonMessage>('SeldonMessage', 'SeldonMessage', predict),
      SendFeedback: handler<WireFeedback>('Feedback', 'SeldonMessage', feedback),
      Metadata: handler<object>('Empty', 'SeldonModelMetadata', (_r, call) => metadataOf(modelOf(call))),
    },
    generic: { SendFeedback: handler<WireFeedback>('Feedback', 'SeldonMessage', feedback) },
  };
}

/** A model's metadata as Seldon's SeldonModelMetadata: V2 tensor metadata (name, datatype, shape) per input and output. */
function modelMetadataMessage(metadata: ModelMetadata) {
  const tensor = (t: TensorMetadata) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
  return { name: metadata.name, versions: [...metadata.versions], platform: metadata.platform, inputs: metadata.inputs.map(tensor), outputs: metadata.outputs.map(tensor) };
}
