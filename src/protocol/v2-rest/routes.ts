import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ferryError } from '../../errors/index.ts';
import { CLASS_LABELS_FILE, type DataPlane, type ReadinessReport } from '../../dataplane/index.ts';
import { setUpProtocolScope } from '../http/scope.ts';
import { arrivalOf, clientGoneSignal } from '../http/request-options.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { replyBody } from '../http/json-sink.ts';
import { answerInfer } from './answer-infer.ts';
import { tritonModelConfig } from '../triton/model-config.ts';
import { loadOptionsFrom, type LoadParameter } from '../triton/load-parameters.ts';
import { checkJsonText, type ProtocolLimits } from '../http/limits.ts';
import { settingsRoutes, type ServerSettings } from './settings-routes.ts';

export interface V2RestOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  /** `repository.upload_max_bytes`: model files a load may upload. */
  readonly uploadMaxBytes: number;
  readonly limits: ProtocolLimits;
  /** What the trace and logging extensions report. */
  readonly settings: ServerSettings;
  /** Guards the repository extension's load/unload (management endpoints). */
  readonly authorizeManagement: (request: FastifyRequest) => void;
}

type ModelParams = { model: string; version?: string };

/** Open Inference Protocol (KServe V2) over REST, with the binary tensor, repository and statistics extensions. */
export async function v2RestRoutes(app: FastifyInstance, options: V2RestOptions): Promise<void> {
  const { dataplane } = options;

  setUpProtocolScope(app, options.bodyLimit, (failure) => JSON.stringify({ error: failure.message }));

  app.get('/v2', async () => dataplane.serverMetadata());
  app.get('/v2/health/live', async (_req, reply) => reply.code(dataplane.live() ? 200 : 503).send({ live: dataplane.live() }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const report = await dataplane.readiness();
    const degraded = dataplane.degraded();
    return reply.code(report.ready ? 200 : 503).send({ ...readinessBody(report), ...(Object.keys(degraded).length ? { degraded } : {}) });
  });
  app.get('/v2/health/startup', async (_req, reply) => reply.code(dataplane.started() ? 200 : 503).send({ started: dataplane.started() }));

  // The protocol's fields only: the batch row limit is the configuration extension's (max_batch_size), not metadata's.
  const metadata = async (req: FastifyRequest<{ Params: ModelParams }>) => {
    const { maxRequestRows: _rows, ...body } = dataplane.modelMetadata(req.params.model, { version: req.params.version });
    return body;
  };
  app.get('/v2/models/:model', metadata);
  app.get('/v2/models/:model/versions/:version', metadata);

  // Model configuration extension: Triton's ModelConfig as JSON.
  const config = async (req: FastifyRequest<{ Params: ModelParams }>) =>
    tritonModelConfig(dataplane.modelMetadata(req.params.model, { version: req.params.version }), dataplane.classLabelFile(req.params.model));
  app.get('/v2/models/:model/config', config);
  app.get('/v2/models/:model/versions/:version/config', config);

  const ready = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const isReady = dataplane.modelReady(req.params.model, { version: req.params.version });
    return reply.code(isReady ? 200 : 503).send({ name: req.params.model, ...(req.params.version ? { version: req.params.version } : {}), ready: isReady });
  };
  app.get('/v2/models/:model/ready', ready);
  app.get('/v2/models/:model/versions/:version/ready', ready);

  const infer = async (req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>, reply: FastifyReply) => {
    const answer = await answerInfer(dataplane, req.params.model, req.params.version, req.body, req.headers, clientGoneSignal(reply.raw), arrivalOf(reply), options.limits, dataplane.traceOf(req.raw));
    if (answer.headerLength !== undefined) reply.header('inference-header-content-length', answer.headerLength);
    return reply.header('content-type', answer.contentType).header('content-length', answer.body.length)
      .header(MODEL_VERSION_HEADER, answer.version).send(replyBody(answer.body));
  };
  app.post('/v2/models/:model/infer', infer);
  app.post('/v2/models/:model/versions/:version/infer', infer);

  // Feedback on an answer (a graph credits the arms that answered it; bandits learn from the reward).
  app.post('/v2/models/:model/feedback', async (req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>) => {
    const body = parseOptionalJson(req.body, options.limits);
    if (body === undefined) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'feedback is a JSON object {request_id, reward, truth}' });
    const { request_id: requestId, reward, truth, route } = body;
    if (typeof reward !== 'number' || !Number.isFinite(reward)) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'reward' must be a number" });
    if (requestId !== undefined && typeof requestId !== 'string') throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'request_id' must be a string" });
    if (route !== undefined && typeof route !== 'string') throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'route' must be the answer's ferry_route string (router=arm,...)" });
    const routing = route === undefined ? undefined : routeOf(route);
    const credited = await dataplane.feedback(req.params.model, { requestId, reward, truth, routing });
    return { model_name: req.params.model, ...(requestId !== undefined ? { request_id: requestId } : {}), routing: credited.routing };
  });

  // Repository extension.
  app.post('/v2/repository/index', async (req) => {
    const ready = parseOptionalJson(req.body, options.limits)?.['ready'] ?? false;
    if (typeof ready !== 'boolean') throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'ready' must be a boolean" });
    return dataplane.repositoryIndex(ready);
  });
  const loadBodyLimit = repositoryLoadBodyLimit(options.bodyLimit, options.uploadMaxBytes);
  app.post('/v2/repository/models/:model/load', { bodyLimit: loadBodyLimit }, async (req: FastifyRequest<{ Params: ModelParams }>, reply) => {
    options.authorizeManagement(req);
    // Not held to limits.max_string_length: uploaded files are long base64 strings, bounded by repository.upload_max_bytes.
    const parameters = parseOptionalJson(req.body)?.['parameters'];
    if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) {
      throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: "'parameters' must be an object" });
    }
    const load = parameters === undefined ? {} : loadOptionsFrom(req.params.model, parameters as Record<string, LoadParameter>, CLASS_LABELS_FILE);
    await dataplane.loadModel(req.params.model, load);
    return reply.code(200).send({});
  });
  app.post('/v2/repository/models/:model/unload', async (req: FastifyRequest<{ Params: ModelParams }>, reply) => {
    options.authorizeManagement(req);
    await dataplane.unloadModel(req.params.model);
    return reply.code(200).send({});
  });

  settingsRoutes(app, options.settings);

  // Statistics extension.
  app.get('/v2/models/stats', async () => ({ model_stats: dataplane.statistics() }));
  app.get('/v2/models/:model/stats', async (req: FastifyRequest<{ Params: ModelParams }>) => ({ model_stats: dataplane.statistics(req.params.model) }));
  app.get('/v2/models/:model/versions/:version/stats', async (req: FastifyRequest<{ Params: ModelParams }>) => ({
    model_stats: dataplane.statistics(req.params.model, req.params.version),
  }));
}

/** `{ready}` as V2 has it, with why not: the causes, and each model that is not ready with its reason. */
function readinessBody(report: ReadinessReport): object {
  if (report.ready && report.notReady.length === 0) return { ready: true, ready_models: report.readyModels };
  return {
    ready: report.ready,
    ...(report.reasons.length > 0 ? { reasons: report.reasons } : {}),
    ready_models: report.readyModels,
    not_ready: report.notReady.map((m) => ({ name: m.name, required: m.required, reason: m.reason })),
  };
}

/** An optional JSON object body, read within the JSON limits when given (nesting, string length); anything else is a 400. */
function parseOptionalJson(body: unknown, limits?: ProtocolLimits): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (limits !== undefined) checkJsonText(text, limits);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'the body must be a JSON object' });
  return parsed as Record<string, unknown>;
}

/** `router=arm` pairs, comma-separated, as a graph's answer carries them in `parameters.ferry_route`. */
function routeOf(text: string): Record<string, string> {
  const route: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) route[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return route;
}

/** Files come base64 in the repository load's JSON body: that route takes a body as large as the upload limit allows. */
export function repositoryLoadBodyLimit(bodyLimit: number, uploadMaxBytes: number): number {
  return Math.max(bodyLimit, Math.ceil(uploadMaxBytes / 3) * 4 + 1024 * 1024);
}
