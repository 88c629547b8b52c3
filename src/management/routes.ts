import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asFerryError, ferryError } from '../errors/index.ts';
import type { Authorize, Principal, Scope } from '../protocol/http/management-auth.ts';
import type { Readable } from 'node:stream';
import { checkVersion, parseModelsUri, type Actor, type ArtifactUploads, type RegistryService } from '../registry/index.ts';
import {
  aliasParams, auditSchema, errorSchema, modelParams, modelSchema, newModelBody, newVersionBody, versionParams, versionSchema,
} from './schemas.ts';
import { auditView, modelView, versionView } from './views.ts';

export interface ManagementOptions {
  readonly registry: () => RegistryService;
  /** Where `PUT /api/v1/artifacts/...` gathers uploaded files until a version registers them. */
  readonly uploads: ArtifactUploads;
  readonly authorize: Authorize;
  /** What this server serves now (models, versions, states, where they come from, registry health). */
  readonly servingStatus: () => unknown;
}

type Params = { model: string; version: string; alias: string; key: string };
type Req = FastifyRequest<{ Params: Params; Body: Record<string, unknown>; Querystring: Record<string, string | undefined> }>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a management route needs. */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const TAG = 'registry';
const list = (schema: object) => ({ type: 'array', items: schema });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };

/** Ferry's management API under /api/v1: registered models, versions, aliases, stages and the audit log. */
export async function managementRoutes(app: FastifyInstance, options: ManagementOptions): Promise<void> {
  const registry = () => options.registry();
  const actor = (req: FastifyRequest): Actor => ({ name: req.principal!.name });

  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config.scope;
    if (scope) req.principal = options.authorize(req, scope);
  });
  app.setErrorHandler((error, req, reply) => {
    const failure = (error as { validation?: unknown }).validation
      ? ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: (error as Error).message })
      : (error as { statusCode?: number }).statusCode === 413
        ? ferryError('FERRY_ERR_BODY_TOO_LARGE', { size: req.headers['content-length'] ?? 'unknown', limit: MANAGEMENT_BODY_LIMIT, setting: 'management API' })
        : (error as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type: String(req.headers['content-type'] ?? '').slice(0, 100) })
          : (error as { statusCode?: number }).statusCode === 400
            ? ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message })
            : asFerryError(error);
    if (failure.http >= 500) req.log.error({ err: error }, 'management request failed');
    if (failure.http === 401) reply.header('www-authenticate', 'Bearer');
    void reply.code(failure.http).send({ error: failure.message, code: failure.code });
  });

  const route = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, scope: Scope,
    schema: Record<string, unknown>, handler: (req: Req, reply: FastifyReply) => Promise<unknown>,
  ) => {
    app.route({
      method, url, config: { scope }, bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: { tags: [TAG], security: [{ bearer: [] }], ...schema, response: { ...errors, ...(schema['response'] as object | undefined) } },
      handler: handler as (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    });
  };
  const version = (req: Req) => checkVersion(req.params.version);
  const limitOf = (req: Req) => (req.query['limit'] === undefined ? undefined : Math.max(1, Math.min(10_000, Number(req.query['limit']) || 100)));
  const offsetOf = (req: Req) => Math.max(0, Number(req.query['offset'] ?? 0) || 0);

  // --- registered models
  route('GET', '/api/v1/models', 'read', {
    summary: 'List registered models',
    querystring: { type: 'object', properties: { name_like: { type: 'string' }, limit: { type: 'integer' }, offset: { type: 'integer' } } },
    response: { 200: { type: 'object', properties: { models: list(modelSchema) } } },
  }, async (req) => {
    const nameLike = req.query['name_like'];
    const limit = limitOf(req);
    return { models: (await registry().store.listModels({ ...(nameLike ? { nameILike: nameLike } : {}), ...(limit ? { limit } : {}), offset: offsetOf(req) })).map(modelView) };
  });
  route('POST', '/api/v1/models', 'write', { summary: 'Register a model name', body: newModelBody, response: { 201: modelSchema, 409: errorSchema } }, async (req, reply) => {
    const body = req.body as { name: string; description?: string; tags?: Record<string, string> };
    const created = await registry().store.createModel(body, actor(req));
    return reply.code(201).send(modelView(created));
  });
  route('GET', '/api/v1/models/:model', 'read', { summary: 'A registered model with its aliases', params: modelParams, response: { 200: modelSchema } },
    async (req) => modelView(await registry().store.getModel(req.params.model)));
  route('PATCH', '/api/v1/models/:model', 'write', {
    summary: 'Change a model\'s description', params: modelParams,
    body: { type: 'object', additionalProperties: false, properties: { description: { type: 'string' } } }, response: { 200: modelSchema },
  }, async (req) => modelView(await registry().store.updateModel(req.params.model, req.body as { description?: string }, actor(req))));
  route('DELETE', '/api/v1/models/:model', 'admin', { summary: 'Delete a model, its versions and aliases (the audit log keeps them)', params: modelParams, response: { 204: { type: 'null' } } },
    async (req, reply) => {
      await registry().store.deleteModel(req.params.model, actor(req));
      return reply.code(204).send();
    });
  route('PUT', '/api/v1/models/:model/tags/:key', 'write', {
    summary: 'Set a model tag', params: { type: 'object', properties: { model: { type: 'string' }, key: { type: 'string' } } },
    body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: 'string' } } }, response: { 200: modelSchema },
  }, async (req) => modelView(await registry().store.setModelTag(req.params.model, req.params.key, String(req.body['value']), actor(req))));
  route('DELETE', '/api/v1/models/:model/tags/:key', 'write', {
    summary: 'Delete a model tag', params: { type: 'object', properties: { model: { type: 'string' }, key: { type: 'string' } } }, response: { 200: modelSchema },
  }, async (req) => modelView(await registry().store.deleteModelTag(req.params.model, req.params.key, actor(req))));

  // --- versions
  route('GET', '/api/v1/models/:model/versions', 'read', {
    summary: 'List a model\'s versions, newest first', params: modelParams,
    querystring: { type: 'object', properties: { stage: { type: 'string', enum: ['None', 'Staging', 'Production', 'Archived'] }, limit: { type: 'integer' }, offset: { type: 'integer' } } },
    response: { 200: { type: 'object', properties: { versions: list(versionSchema) } } },
  }, async (req) => {
    await registry().store.getModel(req.params.model);
    const stage = req.query['stage'] as 'None' | undefined;
    const limit = limitOf(req);
    return { versions: (await registry().store.listVersions({ model: req.params.model, ...(stage ? { stages: [stage] } : {}), ...(limit ? { limit } : {}), offset: offsetOf(req) })).map(versionView) };
  });
  // Uploaded files are streamed to disk, never buffered: an artifact may be gigabytes.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  route('PUT', '/api/v1/artifacts/:digest/files/*', 'write', {
    summary: 'Upload one file of an artifact (raw bytes), to register it afterwards with source upload:<digest>',
    params: { type: 'object', required: ['digest', '*'], properties: { digest: { type: 'string' }, '*': { type: 'string' } } },
    response: { 200: { type: 'object', properties: { path: { type: 'string' }, bytes: { type: 'integer' } } }, 413: errorSchema, 415: errorSchema },
  }, async (req) => {
    const params = req.params as unknown as { digest: string; '*': string };
    if (!(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      throw ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type: String(req.headers['content-type'] ?? '').slice(0, 100) });
    }
    const { bytes } = await options.uploads.putFile(params.digest, params['*'], req.body as unknown as Readable);
    return { path: params['*'], bytes };
  });
  route('POST', '/api/v1/models/:model/versions', 'write', {
    summary: 'Register a version: its artifact (a URI, or upload:<digest> after uploading its files), digest, signature, metrics',
    params: modelParams, body: newVersionBody, response: { 201: versionSchema },
  }, async (req, reply) => {
    const b = req.body as Record<string, never>;
    const upload = /^upload:(.*)$/.exec(b['source'] as string)?.[1];
    const staged = upload === undefined ? undefined : await options.uploads.finish(req.params.model, upload);
    if (staged && b['digest'] && b['digest'] !== staged.digest) {
      throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `digest ${String(b['digest'])} differs from the upload's ${staged.digest}` });
    }
    const created = await registry().register(req.params.model, {
      source: staged?.source ?? b['source'], digest: staged?.digest ?? b['digest'], files: staged ? staged.files : b['files'], runtime: b['runtime'], signature: b['signature'], inputExample: b['input_example'],
      metrics: b['metrics'], tags: b['tags'], description: b['description'], runId: b['run_id'],
    }, actor(req), { createModel: b['create_model'] === true });
    return reply.code(201).send(versionView(created));
  });
  route('GET', '/api/v1/models/:model/versions/:version', 'read', { summary: 'One version', params: versionParams, response: { 200: versionSchema } },
    async (req) => versionView(await registry().store.getVersion(req.params.model, version(req))));
  route('PATCH', '/api/v1/models/:model/versions/:version', 'write', {
    summary: 'Change a version\'s description', params: versionParams,
    body: { type: 'object', additionalProperties: false, properties: { description: { type: 'string' } } }, response: { 200: versionSchema },
  }, async (req) => versionView(await registry().store.updateVersion(req.params.model, version(req), { ...(req.body['description'] !== undefined ? { description: String(req.body['description']) } : {}) }, actor(req))));
  route('DELETE', '/api/v1/models/:model/versions/:version', 'admin', { summary: 'Delete a version (its number is never reused)', params: versionParams, response: { 204: { type: 'null' } } },
    async (req, reply) => {
      await registry().store.deleteVersion(req.params.model, version(req), actor(req));
      return reply.code(204).send();
    });
  route('PUT', '/api/v1/models/:model/versions/:version/tags/:key', 'write', {
    summary: 'Set a version tag', params: { type: 'object', properties: { model: { type: 'string' }, version: { type: 'string' }, key: { type: 'string' } } },
    body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: 'string' } } }, response: { 200: versionSchema },
  }, async (req) => versionView(await registry().store.setVersionTag(req.params.model, version(req), req.params.key, String(req.body['value']), actor(req))));
  route('DELETE', '/api/v1/models/:model/versions/:version/tags/:key', 'write', {
    summary: 'Delete a version tag', params: { type: 'object', properties: { model: { type: 'string' }, version: { type: 'string' }, key: { type: 'string' } } }, response: { 200: versionSchema },
  }, async (req) => versionView(await registry().store.deleteVersionTag(req.params.model, version(req), req.params.key, actor(req))));
  route('PUT', '/api/v1/models/:model/versions/:version/stage', 'write', {
    summary: 'Move a version to a stage', params: versionParams,
    body: {
      type: 'object', required: ['stage'], additionalProperties: false,
      properties: { stage: { type: 'string' }, archive_existing: { type: 'boolean', description: 'move other versions in that stage to Archived' } },
    },
    response: { 200: versionSchema },
  }, async (req) => versionView(await registry().store.transitionStage(req.params.model, version(req), req.body['stage'] as 'None', req.body['archive_existing'] === true, actor(req))));

  // --- aliases
  route('GET', '/api/v1/models/:model/aliases/:alias', 'read', { summary: 'The version an alias names', params: aliasParams, response: { 200: versionSchema } },
    async (req) => versionView(await registry().store.getVersionByAlias(req.params.model, req.params.alias)));
  route('PUT', '/api/v1/models/:model/aliases/:alias', 'write', {
    summary: 'Point an alias at a version (promote); servers following it swap to that version', params: aliasParams,
    body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } },
    response: { 200: versionSchema },
  }, async (req) => versionView(await registry().store.setAlias(req.params.model, req.params.alias, checkVersion(req.body['version']), actor(req))));
  route('DELETE', '/api/v1/models/:model/aliases/:alias', 'write', { summary: 'Delete an alias', params: aliasParams, response: { 204: { type: 'null' } } },
    async (req, reply) => {
      await registry().store.deleteAlias(req.params.model, req.params.alias, actor(req));
      return reply.code(204).send();
    });
  route('POST', '/api/v1/models/:model/aliases/:alias/rollback', 'write', {
    summary: 'Move an alias back to the version it named before its last move', params: aliasParams, response: { 200: versionSchema },
  }, async (req) => versionView(await registry().rollback(req.params.model, req.params.alias, actor(req))));

  // --- audit, resolution, serving
  const auditQuery = { type: 'object', properties: { model: { type: 'string' }, alias: { type: 'string' }, limit: { type: 'integer' }, before: { type: 'integer', description: 'entries older than this id' } } };
  const audit = async (req: Req, model: string | undefined) => {
    const before = req.query['before'] === undefined ? undefined : Number(req.query['before']);
    const alias = req.query['alias'];
    return { entries: (await registry().store.audit({ ...(model ? { model } : {}), ...(alias ? { alias } : {}), limit: limitOf(req) ?? 100, ...(before ? { beforeId: before } : {}) })).map(auditView) };
  };
  route('GET', '/api/v1/audit', 'read', { summary: 'The audit log, newest first', querystring: auditQuery, response: { 200: { type: 'object', properties: { entries: list(auditSchema) } } } },
    (req) => audit(req, req.query['model']));
  route('GET', '/api/v1/models/:model/audit', 'read', {
    summary: 'A model\'s history, newest first', params: modelParams, querystring: auditQuery, response: { 200: { type: 'object', properties: { entries: list(auditSchema) } } },
  }, (req) => audit(req, req.params.model));
  route('GET', '/api/v1/resolve', 'read', {
    summary: 'The version a models:/ URI names now',
    querystring: { type: 'object', required: ['uri'], properties: { uri: { type: 'string', description: 'models:/name@alias, models:/name/Stage, models:/name/N' } } },
    response: { 200: versionSchema },
  }, async (req) => versionView(await registry().resolve(parseModelsUri(String(req.query['uri'])))));
  route('GET', '/api/v1/serving', 'read', { summary: 'What this server serves: models, versions and states, and where they come from' },
    async () => options.servingStatus());
}

export const MANAGEMENT_BODY_LIMIT = 1024 * 1024;
