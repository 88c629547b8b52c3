import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FerryError } from '../../errors/index.ts';
import type { DataPlane } from '../../dataplane/index.ts';
import { setUpProtocolScope } from '../http/scope.ts';
import { takesWideIntegers } from '../http/exact-json.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../http/limits.ts';
import { JsonSink, replyBody } from '../http/json-sink.ts';
import { chooseModel } from '../http/model-choice.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { arrivalOf, clientGoneSignal, deadlineFrom } from '../http/request-options.ts';
import type { DecodedMessage } from './message-request.ts';
import { decodeBody } from '../offload/decode-pool.ts';
import { seldonMessage } from '../offload/decode-jobs.ts';
import { encodeMessage, responseMeta } from './message-response.ts';
import { invalidRequest, isJsonObject } from '../http/request-shape.ts';

export interface SeldonOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  readonly limits?: ProtocolLimits;
  /** Called for each accepted feedback message (the reward is 0 when the message has none). */
  readonly onFeedback?: (model: string, reward: number) => void;
}

const PROTOCOL = 'seldon';
const HOW_TO_NAME = 'name one in the path (/seldon/{model}/api/v1.0/predictions) or in the ferry-model header';
type SeldonRequest = FastifyRequest<{ Params: { model?: string; version?: string; namespace?: string; deployment?: string }; Body: Buffer | undefined }>;

/** The model a path names: `/seldon/{model}/...`, or the deployment of Seldon's gateway path `/seldon/{namespace}/{deployment}/...`. */
const pathModel = (req: SeldonRequest) => req.params.model ?? req.params.deployment;

/**
 * Seldon Core v1 prediction and feedback endpoints: the gateway's (`/seldon/{namespace}/{deployment}/api/v1.0/...`,
 * the deployment naming the model; Ferry has no namespaces, so any is taken), Ferry's shorter `/seldon/{model}/...`,
 * the bare `/api/v1.0/...` for one model, and the component (microservice) API `/predict` and `/send-feedback`.
 */
export async function seldonRoutes(app: FastifyInstance, options: SeldonOptions): Promise<void> {
  const { dataplane } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;

  setUpProtocolScope(app, options.bodyLimit, (failure) => JSON.stringify(seldonError(failure)));

  // Health as Seldon's microservice (/health/ping, /health/status) and executor (/live, /ready) answer it: the
  // liveness routes while the process answers, the readiness routes with the verdict of /v2/health/ready.
  const live = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(dataplane.live() ? 200 : 503).type('text/plain').send(dataplane.live() ? 'pong' : 'not live');
  const ready = async (_req: FastifyRequest, reply: FastifyReply) => {
    const report = await dataplane.readiness();
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', reasons: report.reasons });
  };
  app.get('/health/ping', live);
  app.get('/live', live);
  app.get('/health/status', ready);
  app.get('/ready', ready);

  const predict = async (req: SeldonRequest, reply: FastifyReply) => {
    const model = chooseModel(dataplane, pathModel(req), req.headers['ferry-model'], HOW_TO_NAME);
    const trace = dataplane.traceOf(req.raw);
    const version = req.params.version;
    const decoded: DecodedMessage = await dataplane.decodeAsync(model, PROTOCOL, () => {
      const { inputs } = dataplane.modelMetadata(model, { version });
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return decodeBody('seldon', body, { model, contentType: req.headers['content-type'] ?? '', inputs, exactIntegers: takesWideIntegers(inputs), limits });
    }, trace, { version });
    // The puid is the request's id: feedback that names it reaches the arms of a graph that answered.
    const puid = typeof decoded.meta['puid'] === 'string' && decoded.meta['puid'] !== '' ? decoded.meta['puid'] : randomUUID();
    const response = await dataplane.infer(model, { ...decoded.request, id: puid }, {
      protocol: PROTOCOL,
      version,
      headers: req.headers,
      deadline: deadlineFrom(req.headers['ferry-timeout-ms'], arrivalOf(reply)),
      signal: clientGoneSignal(reply.raw),
      trace,
    });
    const answer = await dataplane.encodeAsync(trace, async () => {
      const sink = new JsonSink(limits);
      await encodeMessage(response, decoded.kind, { ...decoded.meta, puid }, sink);
      return sink.finish();
    });
    return reply.header('content-type', 'application/json').header('content-length', answer.length)
      .header(MODEL_VERSION_HEADER, response.modelVersion).send(replyBody(answer));
  };
  app.post('/api/v1.0/predictions', predict);
  app.post('/seldon/:model/api/v1.0/predictions', predict);
  // A version or a label, where a plain Seldon path has no place for one.
  app.post('/seldon/:model/versions/:version/api/v1.0/predictions', predict);
  app.post('/seldon/:namespace/:deployment/api/v1.0/predictions', predict);
  app.post('/predict', predict);

  const feedback = async (req: SeldonRequest, reply: FastifyReply) => {
    const model = chooseModel(dataplane, pathModel(req), req.headers['ferry-model'], HOW_TO_NAME);
    const status = dataplane.modelStatus(model);
    const message = readMessage(req, limits);
    if (!isJsonObject(message)) throw invalidRequest('a Feedback message must be a JSON object');
    const given = message['reward'] ?? 0;
    const reward = typeof given === 'bigint' ? Number(given) : given; // a long integer literal (exact JSON parsing)
    if (typeof reward !== 'number' || !Number.isFinite(reward)) throw invalidRequest("'reward' must be a number");
    // The answer's meta says which arms answered (routing) and which request it was (puid).
    const answered = isJsonObject(message['response']) && isJsonObject(message['response']['meta']) ? message['response']['meta'] : {};
    const routing = isJsonObject(answered['routing']) ? routingOf(answered['routing']) : undefined;
    const puid = typeof answered['puid'] === 'string' ? answered['puid'] : undefined;
    await dataplane.feedback(model, { requestId: puid, reward, truth: message['truth'], routing });
    options.onFeedback?.(model, reward);
    const version = status.versions.find((v) => v.state === 'AVAILABLE')?.version ?? '';
    const meta = responseMeta({ modelName: model, modelVersion: version }, {});
    return reply.header('content-type', 'application/json').send(JSON.stringify({ data: { names: [], ndarray: [] }, meta }));
  };
  app.post('/api/v1.0/feedback', feedback);
  app.post('/seldon/:model/api/v1.0/feedback', feedback);
  app.post('/seldon/:namespace/:deployment/api/v1.0/feedback', feedback);
  app.post('/send-feedback', feedback);
}

/** Seldon's `meta.routing` (router → arm index, or arm name as Ferry's graphs answer it). */
function routingOf(routing: Record<string, unknown>): Record<string, string | number> | undefined {
  const out: Record<string, string | number> = {};
  for (const [router, arm] of Object.entries(routing)) {
    if (typeof arm === 'string' || (typeof arm === 'number' && Number.isInteger(arm))) out[router] = arm;
    else if (typeof arm === 'bigint') out[router] = Number(arm);
    else throw invalidRequest(`meta.routing.${router} must be an arm's index or name`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A Feedback message: small, decoded here. */
function readMessage(req: SeldonRequest, limits: ProtocolLimits): unknown {
  return seldonMessage(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers['content-type'] ?? '', false, limits);
}

/** Seldon's error body: the HTTP status as code, the message as info, the catalogue code as reason. */
export function seldonError(error: FerryError) {
  return { status: { code: error.http, info: error.message, reason: error.code, status: 'FAILURE' } };
}

