import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asFerryError, ferryError, type FerryError } from '../errors/index.ts';
import type { Authorize, Scope } from '../protocol/http/management-auth.ts';
import {
  checkVersion, likeToRegExp, STAGES, type Actor, type ModelVersion, type RegisteredModel, type RegistryService, type VersionQuery,
} from '../registry/index.ts';
import { MANAGEMENT_BODY_LIMIT } from './routes.ts';

export interface MlflowRegistryOptions {
  readonly registry: () => RegistryService;
  readonly authorize: Authorize;
}

const PREFIX = '/api/2.0/mlflow';

/** MLflow's error codes and the HTTP status its server answers each with (mlflow/protos/databricks.proto). */
const MLFLOW_ERRORS: Record<string, { code: string; status: number }> = {
  FERRY_ERR_REGISTRY_MODEL_NOT_FOUND: { code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  FERRY_ERR_REGISTRY_VERSION_NOT_FOUND: { code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND: { code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  FERRY_ERR_REGISTRY_MODEL_EXISTS: { code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  FERRY_ERR_REGISTRY_INVALID: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  FERRY_ERR_MALFORMED_BODY: { code: 'MALFORMED_REQUEST', status: 400 },
  FERRY_ERR_UNAUTHORIZED: { code: 'UNAUTHENTICATED', status: 401 },
  FERRY_ERR_FORBIDDEN: { code: 'PERMISSION_DENIED', status: 403 },
  FERRY_ERR_ARTIFACT_SOURCE_DENIED: { code: 'PERMISSION_DENIED', status: 403 },
  FERRY_ERR_REGISTRY_UNAVAILABLE: { code: 'TEMPORARILY_UNAVAILABLE', status: 503 },
};

type Req = FastifyRequest<{ Body: Record<string, unknown> | undefined; Querystring: Record<string, unknown> }>;

/**
 * MLflow's Model Registry REST API (mlflow/protos/model_registry.proto) over Ferry's registry, so that MLflow's
 * client and scripts register, alias and promote models here unchanged. Shapes, parameter names and error codes
 * follow MLflow; every write goes through the registry's one audit path with the token's name as actor.
 */
export async function mlflowRegistryRoutes(app: FastifyInstance, options: MlflowRegistryOptions): Promise<void> {
  const registry = () => options.registry();
  app.setErrorHandler((error, req, reply) => {
    const failure: FerryError = (error as { statusCode?: number }).statusCode === 400 && !(error as { code?: string }).code?.startsWith('FERRY')
      ? ferryError('FERRY_ERR_MALFORMED_BODY', { detail: (error as Error).message })
      : asFerryError(error);
    const mapped = MLFLOW_ERRORS[failure.code] ?? { code: failure.http < 500 ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR', status: failure.http < 500 ? 400 : 500 };
    if (mapped.status >= 500) req.log.error({ err: error }, 'MLflow registry request failed');
    void reply.code(mapped.status).send({ error_code: mapped.code, message: failure.message });
  });

  const route = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, scope: Scope, handler: (req: Req, actor: Actor) => Promise<unknown>) => {
    app.route({
      method, url: `${PREFIX}${path}`, bodyLimit: MANAGEMENT_BODY_LIMIT,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const principal = options.authorize(req, scope);
        return reply.send(await handler(req as Req, { name: principal.name }));
      },
    });
  };
  // Parameters come in the JSON body (POST, PATCH, DELETE) or the query string (GET), as MLflow's client sends them.
  const params = (req: Req): Record<string, unknown> => ({ ...req.query, ...(req.body && typeof req.body === 'object' ? req.body : {}) });
  const required = (p: Record<string, unknown>, name: string): string => {
    const value = p[name];
    if (value === undefined || value === null || value === '') throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Missing value for required parameter '${name}'.` });
    return String(value);
  };
  const version = (p: Record<string, unknown>) => checkVersion(required(p, 'version'));
  const tagList = (tags: unknown): Record<string, string> => Object.fromEntries((Array.isArray(tags) ? tags : []).map((t: { key?: unknown; value?: unknown }) => [String(t.key), String(t.value ?? '')]));
  const model = async (name: string) => registeredModel(await registry().store.getModel(name), await registry().store.listVersions({ model: name }));

  // --- registered models
  route('POST', '/registered-models/create', 'write', async (req, actor) => {
    const p = params(req);
    const created = await registry().store.createModel({ name: required(p, 'name'), description: String(p['description'] ?? ''), tags: tagList(p['tags']) }, actor);
    return { registered_model: registeredModel(created, []) };
  });
  route('GET', '/registered-models/get', 'read', async (req) => ({ registered_model: await model(required(params(req), 'name')) }));
  route('PATCH', '/registered-models/update', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.updateModel(required(p, 'name'), p['description'] === undefined ? {} : { description: String(p['description']) }, actor);
    return { registered_model: await model(required(p, 'name')) };
  });
  route('POST', '/registered-models/rename', 'write', async (req, actor) => {
    const p = params(req);
    const renamed = await registry().store.renameModel(required(p, 'name'), required(p, 'new_name'), actor);
    return { registered_model: await model(renamed.name) };
  });
  route('DELETE', '/registered-models/delete', 'admin', async (req, actor) => {
    await registry().store.deleteModel(required(params(req), 'name'), actor);
    return {};
  });
  route('GET', '/registered-models/search', 'read', async (req) => {
    const p = params(req);
    const filter = parseFilter(p['filter'], ['name', 'tags']);
    const { offset, limit } = paging(p, 100, 1000);
    const all = await registry().store.listModels({
      ...(filter.name ? { name: filter.name } : {}), ...(filter.nameLike ? { nameLike: filter.nameLike } : {}),
      ...(filter.nameILike ? { nameILike: filter.nameILike } : {}), ...(filter.tags ? { tags: filter.tags } : {}),
    });
    const sorted = orderModels(all, p['order_by']);
    const pageOf = sorted.slice(offset, offset + limit);
    const versions = await registry().store.listVersions({ models: pageOf.map((m) => m.name) });
    return {
      registered_models: pageOf.map((m) => registeredModel(m, versions.filter((v) => v.model === m.name))),
      ...(offset + limit < sorted.length ? { next_page_token: pageToken(offset + limit) } : {}),
    };
  });
  const latest = async (req: Req) => {
    const p = params(req);
    const name = required(p, 'name');
    await registry().store.getModel(name);
    const stages = p['stages'] === undefined ? [] : [p['stages']].flat().map(String);
    return { model_versions: latestPerStage(await registry().store.listVersions({ model: name }), stages).map(modelVersion) };
  };
  route('POST', '/registered-models/get-latest-versions', 'read', latest);
  route('GET', '/registered-models/get-latest-versions', 'read', latest);
  route('POST', '/registered-models/set-tag', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.setModelTag(required(p, 'name'), required(p, 'key'), String(p['value'] ?? ''), actor);
    return {};
  });
  route('DELETE', '/registered-models/delete-tag', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.deleteModelTag(required(p, 'name'), required(p, 'key'), actor);
    return {};
  });
  route('POST', '/registered-models/alias', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.setAlias(required(p, 'name'), required(p, 'alias'), version(p), actor);
    return {};
  });
  route('DELETE', '/registered-models/alias', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.deleteAlias(required(p, 'name'), required(p, 'alias'), actor);
    return {};
  });
  route('GET', '/registered-models/alias', 'read', async (req) => {
    const p = params(req);
    return { model_version: modelVersion(await registry().store.getVersionByAlias(required(p, 'name'), required(p, 'alias'))) };
  });

  // --- model versions
  route('POST', '/model-versions/create', 'write', async (req, actor) => {
    const p = params(req);
    const created = await registry().register(required(p, 'name'), {
      source: required(p, 'source'), tags: tagList(p['tags']), description: String(p['description'] ?? ''), runId: String(p['run_id'] ?? ''),
    }, actor);
    return { model_version: modelVersion(created) };
  });
  route('GET', '/model-versions/get', 'read', async (req) => {
    const p = params(req);
    return { model_version: modelVersion(await registry().store.getVersion(required(p, 'name'), version(p))) };
  });
  route('PATCH', '/model-versions/update', 'write', async (req, actor) => {
    const p = params(req);
    const updated = await registry().store.updateVersion(required(p, 'name'), version(p), p['description'] === undefined ? {} : { description: String(p['description']) }, actor);
    return { model_version: modelVersion(updated) };
  });
  route('DELETE', '/model-versions/delete', 'admin', async (req, actor) => {
    const p = params(req);
    await registry().store.deleteVersion(required(p, 'name'), version(p), actor);
    return {};
  });
  route('GET', '/model-versions/search', 'read', async (req) => {
    const p = params(req);
    const filter = parseFilter(p['filter'], ['name', 'run_id', 'source_path', 'tags', 'version_number']);
    const { offset, limit } = paging(p, 10_000, 200_000);
    const query: VersionQuery = {
      ...(filter.name ? { model: filter.name } : {}), ...(filter.names ? { models: filter.names } : {}),
      ...(filter.runId ? { runId: filter.runId } : {}), ...(filter.source ? { source: filter.source } : {}),
      ...(filter.version ? { version: filter.version } : {}), ...(filter.tags ? { tags: filter.tags } : {}),
    };
    let found = await registry().store.listVersions(query);
    if (filter.nameLike || filter.nameILike) {
      const pattern = likeToRegExp((filter.nameLike ?? filter.nameILike)!, filter.nameILike !== undefined);
      found = found.filter((v) => pattern.test(v.model));
    }
    const sorted = orderVersions(found, p['order_by']);
    return {
      model_versions: sorted.slice(offset, offset + limit).map(modelVersion),
      ...(offset + limit < sorted.length ? { next_page_token: pageToken(offset + limit) } : {}),
    };
  });
  route('GET', '/model-versions/get-download-uri', 'read', async (req) => {
    const p = params(req);
    return { artifact_uri: (await registry().store.getVersion(required(p, 'name'), version(p))).source };
  });
  route('POST', '/model-versions/transition-stage', 'write', async (req, actor) => {
    const p = params(req);
    const archive = p['archive_existing_versions'] === true || p['archive_existing_versions'] === 'true';
    const moved = await registry().store.transitionStage(required(p, 'name'), version(p), required(p, 'stage') as 'None', archive, actor);
    return { model_version: modelVersion(moved) };
  });
  route('POST', '/model-versions/set-tag', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.setVersionTag(required(p, 'name'), version(p), required(p, 'key'), String(p['value'] ?? ''), actor);
    return {};
  });
  route('DELETE', '/model-versions/delete-tag', 'write', async (req, actor) => {
    const p = params(req);
    await registry().store.deleteVersionTag(required(p, 'name'), version(p), required(p, 'key'), actor);
    return {};
  });
}

/** MLflow's ModelVersion message as JSON: version numbers are strings, timestamps are numbers. */
export function modelVersion(v: ModelVersion) {
  return {
    name: v.model, version: String(v.version), creation_timestamp: v.createdAt, last_updated_timestamp: v.updatedAt, user_id: v.createdBy,
    current_stage: v.stage, description: v.description, source: v.source, run_id: v.runId, status: v.status,
    ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
    tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })), aliases: [...v.aliases],
  };
}

/** MLflow's RegisteredModel: latest_versions holds the newest READY version of each stage. */
export function registeredModel(m: RegisteredModel, versions: readonly ModelVersion[]) {
  return {
    name: m.name, creation_timestamp: m.createdAt, last_updated_timestamp: m.updatedAt, description: m.description,
    latest_versions: latestPerStage(versions, []).map(modelVersion),
    tags: Object.entries(m.tags).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

function latestPerStage(versions: readonly ModelVersion[], stages: readonly string[]): ModelVersion[] {
  const wanted = stages.length ? stages.map((s) => STAGES.find((x) => x.toLowerCase() === s.toLowerCase()) ?? s) : [...STAGES];
  const out: ModelVersion[] = [];
  for (const stage of wanted) {
    const newest = versions.filter((v) => v.stage === stage && v.status === 'READY').sort((a, b) => b.version - a.version)[0];
    if (newest) out.push(newest);
  }
  return out.sort((a, b) => a.version - b.version);
}

interface Filter {
  name?: string;
  names?: string[];
  nameLike?: string;
  nameILike?: string;
  runId?: string;
  source?: string;
  version?: number;
  tags?: Record<string, string>;
}

/**
 * MLflow's search filter: conditions joined by AND, each `attribute op 'value'` — name (=, LIKE, ILIKE, IN), run_id,
 * source_path, version_number (=) and tags.<key> (=). Anything else is refused as MLflow refuses it.
 */
export function parseFilter(raw: unknown, allowed: readonly string[]): Filter {
  const filter: Filter = {};
  if (raw === undefined || raw === null || String(raw).trim() === '') return filter;
  const text = String(raw);
  const clause = /\s*(tags\.(?:`[^`]+`|"[^"]+"|\w+)|name|run_id|source_path|version_number)\s*(=|!=|LIKE|ILIKE|IN)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\((?:\s*'[^']*'\s*,?)+\)|\d+)\s*(?:AND\s+|$)/iy;
  let at = 0;
  while (at < text.length) {
    clause.lastIndex = at;
    const m = clause.exec(text);
    if (!m) throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Invalid filter '${text.slice(0, 200)}': cannot parse at '${text.slice(at, at + 40)}'` });
    at = clause.lastIndex;
    const [, attribute, opRaw, valueRaw] = m as unknown as [string, string, string, string];
    const op = opRaw.toUpperCase();
    const key = attribute.startsWith('tags.') ? 'tags' : attribute;
    if (!allowed.includes(key)) throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Invalid attribute key '${attribute}' specified. Valid keys are '${allowed.join("', '")}'` });
    const unquote = (v: string) => v.replace(/^['"`]|['"`]$/g, '').replace(/\\(.)/g, '$1');
    if (op === 'IN') {
      if (key !== 'name') throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `IN is supported for name only` });
      filter.names = [...valueRaw.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
      continue;
    }
    const value = unquote(valueRaw);
    if (op === '!=') throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `comparator '!=' is not supported on '${attribute}'` });
    if (key === 'name') {
      if (op === '=') filter.name = value;
      else if (op === 'LIKE') filter.nameLike = value;
      else filter.nameILike = value;
    } else if (op !== '=') {
      throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `comparator '${op}' is not supported on '${attribute}'` });
    } else if (key === 'tags') {
      filter.tags = { ...filter.tags, [unquote(attribute.slice(5))]: value };
    } else if (key === 'run_id') {
      filter.runId = value;
    } else if (key === 'source_path') {
      filter.source = value;
    } else {
      filter.version = checkVersion(value);
    }
  }
  return filter;
}

function paging(p: Record<string, unknown>, byDefault: number, max: number): { offset: number; limit: number } {
  const limit = p['max_results'] === undefined ? byDefault : Number(p['max_results']);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Invalid value for max_results: it must be at most ${max}, and at least 1` });
  }
  let offset = 0;
  if (p['page_token'] !== undefined && p['page_token'] !== '') {
    try {
      offset = (JSON.parse(Buffer.from(String(p['page_token']), 'base64').toString('utf8')) as { offset: number }).offset;
    } catch {
      offset = -1;
    }
    if (!Number.isSafeInteger(offset) || offset < 0) throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: 'Invalid page token' });
  }
  return { offset, limit };
}

function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function orderBy(raw: unknown): { key: string; desc: boolean }[] {
  return [raw ?? []].flat().map(String).map((clause) => {
    const [key = '', dir = 'ASC'] = clause.trim().split(/\s+/);
    return { key: key.replace(/^attributes?\./, ''), desc: dir.toUpperCase() === 'DESC' };
  });
}

function orderModels(models: readonly RegisteredModel[], raw: unknown): RegisteredModel[] {
  const keys = orderBy(raw);
  const value = (m: RegisteredModel, key: string): string | number => {
    if (key === 'name') return m.name;
    if (key === 'last_updated_timestamp' || key === 'timestamp') return m.updatedAt;
    if (key === 'creation_timestamp') return m.createdAt;
    throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Invalid order_by key '${key}'` });
  };
  return [...models].sort((a, b) => {
    for (const { key, desc } of keys) {
      const x = value(a, key);
      const y = value(b, key);
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

function orderVersions(versions: readonly ModelVersion[], raw: unknown): ModelVersion[] {
  const keys = orderBy(raw);
  const value = (v: ModelVersion, key: string): string | number => {
    if (key === 'name') return v.model;
    if (key === 'version_number') return v.version;
    if (key === 'last_updated_timestamp' || key === 'timestamp') return v.updatedAt;
    if (key === 'creation_timestamp') return v.createdAt;
    throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `Invalid order_by key '${key}'` });
  };
  // MLflow's default: newest update first, then name ascending, then version descending.
  const all = keys.length ? keys : [{ key: 'last_updated_timestamp', desc: true }];
  return [...versions].sort((a, b) => {
    for (const { key, desc } of all) {
      const x = value(a, key);
      const y = value(b, key);
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    return a.model < b.model ? -1 : a.model > b.model ? 1 : b.version - a.version;
  });
}
