// Every management route against every kind of caller: no token, a wrong one, a read token, a write token and an
// admin token. The table must name every route the OpenAPI document lists, so a new route cannot go unchecked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceError } from '@grpc/grpc-js';
import { fastify } from 'fastify';
import { createServer, loadConfig } from '../src/index.ts';
import { mlflowRegistryRoutes } from '../src/management/mlflow-registry.ts';
import { grpcClient } from '../src/protocol/v2-grpc/index.ts';
import { EXAMPLE_MODELS, startFerry, type RunningFerry } from './helpers/server.ts';

const TOKENS = { read: 'r'.repeat(24), write: 'w'.repeat(24), admin: 'a'.repeat(24) };
const WRONG = 'x'.repeat(24);
const DIGEST = `sha256:${'cd'.repeat(32)}`;
type Scope = 'read' | 'write' | 'admin';

let ferry: RunningFerry;
let dataDir: string;
let n = 0;

async function call(method: string, url: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  // Bytes go as an upload does (raw), anything else as JSON.
  const raw = body instanceof Uint8Array;
  if (body !== undefined) headers['content-type'] = raw ? 'application/octet-stream' : 'application/json';
  const response = await fetch(`${ferry.url}${url}`, { method, headers, ...(body !== undefined ? { body: raw ? body : JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
const admin = (method: string, url: string, body?: unknown) => call(method, url, TOKENS.admin, body);

interface Case {
  readonly method: string;
  /** The route as the OpenAPI document names it. */
  readonly route: string;
  readonly scope: Scope;
  /** Makes what one successful call needs, and returns the concrete path and body. */
  prepare(): Promise<{ url: string; body?: unknown }>;
}

const fixed = (url: string, body?: unknown) => async () => ({ url, ...(body !== undefined ? { body } : {}) });
const source = () => path.join(dataDir, 'artifacts', 'fraud', String(n));

const CASES: Case[] = [
  { method: 'GET', route: '/api/v1/models', scope: 'read', prepare: fixed('/api/v1/models') },
  { method: 'POST', route: '/api/v1/models', scope: 'write', prepare: async () => ({ url: '/api/v1/models', body: { name: `new-${n++}` } }) },
  { method: 'GET', route: '/api/v1/models/{model}', scope: 'read', prepare: fixed('/api/v1/models/fraud') },
  { method: 'PATCH', route: '/api/v1/models/{model}', scope: 'write', prepare: fixed('/api/v1/models/fraud', { description: 'card fraud' }) },
  {
    method: 'DELETE', route: '/api/v1/models/{model}', scope: 'admin',
    prepare: async () => {
      const name = `doomed-${n++}`;
      await admin('POST', '/api/v1/models', { name });
      return { url: `/api/v1/models/${name}` };
    },
  },
  { method: 'PUT', route: '/api/v1/models/{model}/tags/{key}', scope: 'write', prepare: fixed('/api/v1/models/fraud/tags/team', { value: 'risk' }) },
  { method: 'DELETE', route: '/api/v1/models/{model}/tags/{key}', scope: 'write', prepare: fixed('/api/v1/models/fraud/tags/team') },
  { method: 'GET', route: '/api/v1/models/{model}/versions', scope: 'read', prepare: fixed('/api/v1/models/fraud/versions') },
  { method: 'POST', route: '/api/v1/models/{model}/versions', scope: 'write', prepare: async () => ({ url: '/api/v1/models/fraud/versions', body: { source: source(), digest: DIGEST } }) },
  {
    method: 'PUT', route: '/api/v1/artifacts/{digest}/files/{*}', scope: 'write',
    prepare: async () => ({ url: `/api/v1/artifacts/sha256:${'e'.repeat(64)}/files/part-${n++}`, body: new Uint8Array([1, 2, 3]) }),
  },
  { method: 'GET', route: '/api/v1/models/{model}/versions/{version}', scope: 'read', prepare: fixed('/api/v1/models/fraud/versions/1') },
  { method: 'PATCH', route: '/api/v1/models/{model}/versions/{version}', scope: 'write', prepare: fixed('/api/v1/models/fraud/versions/1', { description: 'first' }) },
  {
    method: 'DELETE', route: '/api/v1/models/{model}/versions/{version}', scope: 'admin',
    prepare: async () => {
      const created = await admin('POST', '/api/v1/models/fraud/versions', { source: source(), digest: DIGEST });
      return { url: `/api/v1/models/fraud/versions/${created.body.version}` };
    },
  },
  { method: 'PUT', route: '/api/v1/models/{model}/versions/{version}/tags/{key}', scope: 'write', prepare: fixed('/api/v1/models/fraud/versions/1/tags/ok', { value: 'yes' }) },
  { method: 'DELETE', route: '/api/v1/models/{model}/versions/{version}/tags/{key}', scope: 'write', prepare: fixed('/api/v1/models/fraud/versions/1/tags/ok') },
  { method: 'PUT', route: '/api/v1/models/{model}/versions/{version}/stage', scope: 'write', prepare: fixed('/api/v1/models/fraud/versions/2/stage', { stage: 'Staging' }) },
  { method: 'GET', route: '/api/v1/models/{model}/aliases/{alias}', scope: 'read', prepare: fixed('/api/v1/models/fraud/aliases/champion') },
  { method: 'PUT', route: '/api/v1/models/{model}/aliases/{alias}', scope: 'write', prepare: fixed('/api/v1/models/fraud/aliases/champion', { version: 1 }) },
  {
    method: 'DELETE', route: '/api/v1/models/{model}/aliases/{alias}', scope: 'write',
    prepare: async () => {
      await admin('PUT', '/api/v1/models/fraud/aliases/temporary', { version: 2 });
      return { url: '/api/v1/models/fraud/aliases/temporary' };
    },
  },
  {
    method: 'POST', route: '/api/v1/models/{model}/aliases/{alias}/rollback', scope: 'write',
    prepare: async () => {
      await admin('PUT', '/api/v1/models/fraud/aliases/shadow', { version: 1 });
      await admin('PUT', '/api/v1/models/fraud/aliases/shadow', { version: 2 });
      return { url: '/api/v1/models/fraud/aliases/shadow/rollback' };
    },
  },
  { method: 'GET', route: '/api/v1/audit', scope: 'read', prepare: fixed('/api/v1/audit') },
  { method: 'GET', route: '/api/v1/models/{model}/audit', scope: 'read', prepare: fixed('/api/v1/models/fraud/audit') },
  { method: 'GET', route: '/api/v1/resolve', scope: 'read', prepare: fixed('/api/v1/resolve?uri=models:/fraud@champion') },
  { method: 'GET', route: '/api/v1/serving', scope: 'read', prepare: fixed('/api/v1/serving') },
  // Inference-graph traffic.
  { method: 'GET', route: '/api/v1/graphs', scope: 'read', prepare: fixed('/api/v1/graphs') },
  { method: 'GET', route: '/api/v1/graphs/{graph}', scope: 'read', prepare: fixed('/api/v1/graphs/canary') },
  { method: 'POST', route: '/api/v1/graphs/{graph}/routers/{router}/weights', scope: 'write', prepare: fixed('/api/v1/graphs/canary/routers/traffic/weights', { weights: { stable: 0.8, canary: 0.2 } }) },
  { method: 'POST', route: '/api/v1/graphs/{graph}/routers/{router}/promote', scope: 'write', prepare: fixed('/api/v1/graphs/canary/routers/traffic/promote', { arm: 'canary' }) },
  { method: 'POST', route: '/api/v1/graphs/{graph}/routers/{router}/rollback', scope: 'write', prepare: fixed('/api/v1/graphs/canary/routers/traffic/rollback', {}) },
  // The repository extension's load and unload follow the same rule.
  { method: 'POST', route: '/v2/repository/models/{model}/unload', scope: 'write', prepare: fixed('/v2/repository/models/simple/unload', {}) },
  { method: 'POST', route: '/v2/repository/models/{model}/load', scope: 'write', prepare: fixed('/v2/repository/models/simple/load', {}) },
];

// MLflow's Model Registry REST API: parameters in the query (GET) or the JSON body.
const ML = '/api/2.0/mlflow';
const mlflowVersion = async () => (await admin('POST', `${ML}/model-versions/create`, { name: 'fraud', source: source() })).body.model_version.version as string;
const MLFLOW_CASES: Case[] = [
  { method: 'POST', route: `${ML}/registered-models/create`, scope: 'write', prepare: async () => ({ url: `${ML}/registered-models/create`, body: { name: `ml-${n++}` } }) },
  { method: 'GET', route: `${ML}/registered-models/get`, scope: 'read', prepare: fixed(`${ML}/registered-models/get?name=fraud`) },
  { method: 'PATCH', route: `${ML}/registered-models/update`, scope: 'write', prepare: fixed(`${ML}/registered-models/update`, { name: 'fraud', description: 'x' }) },
  {
    method: 'POST', route: `${ML}/registered-models/rename`, scope: 'write',
    prepare: async () => {
      const name = `rename-${n++}`;
      await admin('POST', '/api/v1/models', { name });
      return { url: `${ML}/registered-models/rename`, body: { name, new_name: `${name}-renamed` } };
    },
  },
  {
    method: 'DELETE', route: `${ML}/registered-models/delete`, scope: 'admin',
    prepare: async () => {
      const name = `ml-doomed-${n++}`;
      await admin('POST', '/api/v1/models', { name });
      return { url: `${ML}/registered-models/delete`, body: { name } };
    },
  },
  { method: 'GET', route: `${ML}/registered-models/search`, scope: 'read', prepare: fixed(`${ML}/registered-models/search`) },
  { method: 'POST', route: `${ML}/registered-models/get-latest-versions`, scope: 'read', prepare: fixed(`${ML}/registered-models/get-latest-versions`, { name: 'fraud' }) },
  { method: 'GET', route: `${ML}/registered-models/get-latest-versions`, scope: 'read', prepare: fixed(`${ML}/registered-models/get-latest-versions?name=fraud`) },
  { method: 'POST', route: `${ML}/registered-models/set-tag`, scope: 'write', prepare: fixed(`${ML}/registered-models/set-tag`, { name: 'fraud', key: 'k', value: 'v' }) },
  { method: 'DELETE', route: `${ML}/registered-models/delete-tag`, scope: 'write', prepare: fixed(`${ML}/registered-models/delete-tag`, { name: 'fraud', key: 'k' }) },
  { method: 'POST', route: `${ML}/registered-models/alias`, scope: 'write', prepare: fixed(`${ML}/registered-models/alias`, { name: 'fraud', alias: 'mlflow', version: '1' }) },
  {
    method: 'DELETE', route: `${ML}/registered-models/alias`, scope: 'write',
    prepare: async () => {
      await admin('PUT', '/api/v1/models/fraud/aliases/gone', { version: 1 });
      return { url: `${ML}/registered-models/alias`, body: { name: 'fraud', alias: 'gone' } };
    },
  },
  { method: 'GET', route: `${ML}/registered-models/alias`, scope: 'read', prepare: fixed(`${ML}/registered-models/alias?name=fraud&alias=champion`) },
  { method: 'POST', route: `${ML}/model-versions/create`, scope: 'write', prepare: async () => ({ url: `${ML}/model-versions/create`, body: { name: 'fraud', source: source() } }) },
  { method: 'GET', route: `${ML}/model-versions/get`, scope: 'read', prepare: fixed(`${ML}/model-versions/get?name=fraud&version=1`) },
  { method: 'PATCH', route: `${ML}/model-versions/update`, scope: 'write', prepare: fixed(`${ML}/model-versions/update`, { name: 'fraud', version: '1', description: 'y' }) },
  { method: 'DELETE', route: `${ML}/model-versions/delete`, scope: 'admin', prepare: async () => ({ url: `${ML}/model-versions/delete`, body: { name: 'fraud', version: await mlflowVersion() } }) },
  { method: 'GET', route: `${ML}/model-versions/search`, scope: 'read', prepare: fixed(`${ML}/model-versions/search`) },
  { method: 'GET', route: `${ML}/model-versions/get-download-uri`, scope: 'read', prepare: fixed(`${ML}/model-versions/get-download-uri?name=fraud&version=1`) },
  { method: 'POST', route: `${ML}/model-versions/transition-stage`, scope: 'write', prepare: fixed(`${ML}/model-versions/transition-stage`, { name: 'fraud', version: '1', stage: 'Staging', archive_existing_versions: false }) },
  { method: 'POST', route: `${ML}/model-versions/set-tag`, scope: 'write', prepare: fixed(`${ML}/model-versions/set-tag`, { name: 'fraud', version: '1', key: 'k', value: 'v' }) },
  { method: 'DELETE', route: `${ML}/model-versions/delete-tag`, scope: 'write', prepare: fixed(`${ML}/model-versions/delete-tag`, { name: 'fraud', version: '1', key: 'k' }) },
];
CASES.push(...MLFLOW_CASES);

// Routes any caller may use: probes, metrics, the API documentation and the data plane (which needs a token only
// with auth.inference: token, checked in inference-auth.test.ts).
const OPEN_ROUTES: readonly string[] = [
  'GET /docs', 'GET /docs/json', 'GET /docs/yaml', 'GET /docs/static/*', 'GET /docs/static/index.html', 'GET /docs/static/swagger-initializer.js',
  'GET /health', 'GET /ping', 'GET /version', 'GET /health/ping', 'GET /health/status', 'GET /live', 'GET /ready',
  'GET /v2', 'GET /v2/health/live', 'GET /v2/health/ready', 'GET /v2/health/startup',
  'GET /v2/models/:model', 'GET /v2/models/:model/ready', 'GET /v2/models/:model/versions/:version', 'GET /v2/models/:model/versions/:version/ready',
  'GET /v2/models/stats', 'GET /v2/models/:model/stats', 'GET /v2/models/:model/versions/:version/stats',
  'POST /v2/models/:model/feedback',
  'POST /v2/models/:model/infer', 'POST /v2/models/:model/versions/:version/infer', 'POST /v2/repository/index',
  'GET /v1/models/*', 'POST /v1/models/*',
  'POST /api/v1.0/predictions', 'POST /api/v1.0/feedback', 'POST /seldon/:model/api/v1.0/predictions', 'POST /seldon/:model/api/v1.0/feedback',
  'POST /seldon/:model/versions/:version/api/v1.0/predictions',
  'POST /invocations', 'POST /mlflow/:model/invocations', 'POST /mlflow/:model/versions/:version/invocations',
  // Read-only model configuration, trace and logging settings; run-time changes and shared memory are refused for every caller.
  'GET /v2/models/:model/config', 'GET /v2/models/:model/versions/:version/config',
  'GET /v2/trace/setting', 'POST /v2/trace/setting', 'GET /v2/models/:model/trace/setting', 'POST /v2/models/:model/trace/setting',
  'GET /v2/logging', 'POST /v2/logging',
  'GET /v2/systemsharedmemory/*', 'POST /v2/systemsharedmemory/*', 'GET /v2/cudasharedmemory/*', 'POST /v2/cudasharedmemory/*',
  // KServe v1 liveness and model list; Seldon's gateway and component paths.
  'GET /', 'GET /v1/models',
  'POST /seldon/:namespace/:deployment/api/v1.0/predictions', 'POST /seldon/:namespace/:deployment/api/v1.0/feedback', 'POST /predict', 'POST /send-feedback',
];

const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-auth-'));
  ferry = await startFerry({
    data_dir: dataDir,
    auth: { tokens: (['read', 'write', 'admin'] as const).map((scope) => ({ name: `${scope}-bot`, token: TOKENS[scope], scopes: [scope] })) },
    graphs: {
      deployments: {
        canary: {
          nodes: [
            { name: 'one', type: 'model', model: 'half_plus_two' },
            { name: 'two', type: 'model', model: 'half_plus_two' },
            { name: 'traffic', type: 'router', policy: 'split', arms: [{ name: 'stable', node: 'one', weight: 0.9 }, { name: 'canary', node: 'two', weight: 0.1 }] },
          ],
        },
      },
    },
  });
  await admin('POST', '/api/v1/models', { name: 'fraud' });
  for (let i = 0; i < 2; i++) await admin('POST', '/api/v1/models/fraud/versions', { source: source(), digest: DIGEST });
  await admin('PUT', '/api/v1/models/fraud/aliases/champion', { version: 1 });
});
afterAll(async () => {
  await ferry?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('management auth table', () => {
  it('covers every route of the OpenAPI document', async () => {
    const doc = (await fetch(`${ferry.url}/docs/json`).then((r) => r.json())) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${route}`)).sort();
    const tabled = CASES.filter((c) => c.route.startsWith('/api/v1/')).map((c) => `${c.method} ${c.route}`).sort();
    expect(tabled).toEqual(documented);
    expect(documented.length).toBeGreaterThanOrEqual(23);
  });

  it('covers every route of MLflow\'s registry API', async () => {
    // The plugin's own routes, as Fastify registers them.
    const app = fastify();
    const served: string[] = [];
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') served.push(`${m} ${r.url}`);
    });
    await app.register(mlflowRegistryRoutes, { registry: () => { throw new Error('unused'); }, authorize: () => { throw new Error('unused'); } });
    await app.ready();
    await app.close();
    expect(MLFLOW_CASES.map((c) => `${c.method} ${c.route}`).sort()).toEqual(served.sort());
    expect(served).toHaveLength(22);
  });

  for (const c of CASES) {
    it(`${c.method} ${c.route} (${c.scope}): none 401, wrong 401, then by scope`, async () => {
      const { url, body } = await c.prepare();
      const none = await call(c.method, url, undefined, body);
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject(c.route.startsWith(ML) ? { error_code: 'UNAUTHENTICATED' } : { error: 'this endpoint needs a valid bearer token' });
      expect((await call(c.method, url, WRONG, body)).status).toBe(401);
      for (const scope of ['read', 'write', 'admin'] as const) {
        const { url: u, body: b } = scope === 'read' ? { url, body } : await c.prepare();
        const answer = await call(c.method, u, TOKENS[scope], b);
        if (RANK[scope] < RANK[c.scope]) {
          expect(answer.status, `${scope} token`).toBe(403);
          expect(answer.body.error ?? answer.body.message).toBe(`token '${scope}-bot' lacks the '${c.scope}' scope this endpoint needs`);
        } else {
          expect(answer.status, `${scope} token: ${JSON.stringify(answer.body)}`).toBeGreaterThanOrEqual(200);
          expect(answer.status).toBeLessThan(300);
        }
      }
    });
  }

  it('leaves no HTTP route out: each is in the table or is open, and open ones answer a caller without a token', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        model_repository: EXAMPLE_MODELS, data_dir: await mkdtemp(path.join(tmpdir(), 'ferry-auth-routes-')), poll_seconds: 0, log_level: 'silent',
        http: { port: 0 }, grpc: { port: 0 }, auth: { tokens: [{ name: 'admin-bot', token: TOKENS.admin, scopes: ['admin'] }] },
      },
    });
    const server = createServer({ config });
    const served: string[] = [];
    server.http.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') served.push(`${m} ${r.url}`);
    });
    const { httpPort } = await server.start();
    try {
      const tabled = new Set(CASES.map((c) => `${c.method} ${c.route.replace('{*}', '*').replace(/\{(\w+)\}/g, ':$1')}`));
      const open = served.filter((r) => !tabled.has(r)).sort();
      expect(open, 'each new HTTP route goes into CASES (management) or OPEN_ROUTES').toEqual([...OPEN_ROUTES].sort());
      for (const route of open) {
        const [method, pattern] = route.split(' ') as [string, string];
        const url = pattern.replace(':model', 'simple').replace(':version', '1').replace(/:\w+/g, 'x').replace('*', '');
        const answer = await fetch(`http://127.0.0.1:${httpPort}${url}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
        await answer.arrayBuffer();
        expect([401, 403], `${route}: ${answer.status}`).not.toContain(answer.status);
      }
    } finally {
      await server.stop();
      await rm(config.data_dir, { recursive: true, force: true });
    }
  });

  it('records the token\'s name as the actor of each change', async () => {
    const entries = (await admin('GET', '/api/v1/models/fraud/audit?limit=1000')).body.entries as { actor: string; action: string }[];
    expect(new Set(entries.map((e) => e.actor))).toEqual(new Set(['write-bot', 'admin-bot']));
    expect(entries.some((e) => e.action === 'alias.set' && e.actor === 'write-bot')).toBe(true);
  });

  it('refuses loopback without a token unless allowed, and then names the actor loopback', async () => {
    const open = await startFerry({ auth: { allow_loopback_without_token: true } });
    try {
      const created = await fetch(`${open.url}/api/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"m"}' });
      expect(created.status).toBe(201);
      const audit = await (await fetch(`${open.url}/api/v1/audit`)).json() as { entries: { actor: string }[] };
      expect(audit.entries[0]!.actor).toBe('loopback');
      // A token that is presented is still checked.
      expect((await fetch(`${open.url}/api/v1/models`, { headers: { authorization: `Bearer ${WRONG}` } })).status).toBe(401);
    } finally {
      await open.stop();
    }
  });

  it('applies the same rule to gRPC repository load and unload', async () => {
    const client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
    try {
      const code = (options?: { metadata: Record<string, string> }) => client.call('RepositoryModelUnload', { model_name: 'simple' }, options).then(() => 0, (e: ServiceError) => e.code);
      expect(await code()).toBe(16); // UNAUTHENTICATED
      expect(await code({ metadata: { authorization: `Bearer ${WRONG}` } })).toBe(16);
      expect(await code({ metadata: { authorization: `Bearer ${TOKENS.read}` } })).toBe(7); // PERMISSION_DENIED
      expect(await code({ metadata: { authorization: `Bearer ${TOKENS.write}` } })).toBe(0);
      expect(await client.call('RepositoryModelLoad', { model_name: 'simple' }, { metadata: { authorization: `Bearer ${TOKENS.write}` } })).toEqual({});
    } finally {
      client.close();
    }
  });
});
