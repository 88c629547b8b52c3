// MLflow's Model Registry REST API, cases written from mlflow/protos/model_registry.proto and MLflow's REST docs:
// response shapes (versions as strings, timestamps as numbers, tags as key/value lists) and error codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, inferScale, scaleArtifact, waitUntil } from './helpers/registry.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const READ_TOKEN = 'mlflow-read-token-0123456789';
let dataDir: string;
let ferry: RunningFerry;

async function mlflow(method: string, endpoint: string, body?: Record<string, unknown>, token = ADMIN_TOKEN) {
  const url = new URL(`${ferry.url}/api/2.0/mlflow/${endpoint}`);
  if (method === 'GET' && body) for (const [k, v] of Object.entries(body)) for (const item of [v].flat()) url.searchParams.append(k, String(item));
  const response = await fetch(url, {
    method, headers: { authorization: `Bearer ${token}`, ...(method !== 'GET' && body ? { 'content-type': 'application/json' } : {}) },
    ...(method !== 'GET' && body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() as any };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-mlflow-registry-'));
  ferry = await startFerry({
    data_dir: dataDir,
    auth: { tokens: [{ name: 'mlflow-client', token: ADMIN_TOKEN, scopes: ['admin'] }, { name: 'reader', token: READ_TOKEN, scopes: ['read'] }] },
  });
});
afterAll(async () => {
  await ferry?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('MLflow Model Registry REST API', () => {
  it('creates and gets a registered model; a second create is RESOURCE_ALREADY_EXISTS (400)', async () => {
    const created = await mlflow('POST', 'registered-models/create', { name: 'fraud', description: 'card fraud', tags: [{ key: 'team', value: 'risk' }] });
    expect(created.status).toBe(200);
    expect(created.body.registered_model).toMatchObject({ name: 'fraud', description: 'card fraud', tags: [{ key: 'team', value: 'risk' }], latest_versions: [], aliases: [] });
    expect(typeof created.body.registered_model.creation_timestamp).toBe('number');
    const again = await mlflow('POST', 'registered-models/create', { name: 'fraud' });
    expect(again).toEqual({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: "registered model 'fraud' already exists" } });
    expect((await mlflow('GET', 'registered-models/get', { name: 'fraud' })).body.registered_model.name).toBe('fraud');
    expect(await mlflow('GET', 'registered-models/get', { name: 'nope' })).toEqual({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "registered model 'nope' not found" } });
    expect(await mlflow('POST', 'registered-models/create', {})).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: "invalid registry request: Missing value for required parameter 'name'." } });
  });

  it('creates model versions from a source, numbering them as strings, with the digest learned from the artifact', async () => {
    for (const k of [1, 2] as const) {
      const source = await scaleArtifact(path.join(dataDir, 'artifacts', 'fraud', `v${k}`), k);
      const created = await mlflow('POST', 'model-versions/create', { name: 'fraud', source, run_id: `run${k}`, tags: [{ key: 'k', value: String(k) }] });
      expect(created.status).toBe(200);
      expect(created.body.model_version).toMatchObject({ name: 'fraud', version: String(k), source, run_id: `run${k}`, status: 'READY', current_stage: 'None', user_id: 'mlflow-client', tags: [{ key: 'k', value: String(k) }], aliases: [] });
    }
    const denied = await mlflow('POST', 'model-versions/create', { name: 'fraud', source: '/etc' });
    expect(denied.status).toBe(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    expect((await mlflow('GET', 'model-versions/get', { name: 'fraud', version: '9' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await mlflow('GET', 'model-versions/get-download-uri', { name: 'fraud', version: '2' })).body).toEqual({ artifact_uri: path.join(dataDir, 'artifacts', 'fraud', 'v2') });
  });

  it('sets, gets and deletes aliases', async () => {
    expect(await mlflow('POST', 'registered-models/alias', { name: 'fraud', alias: 'champion', version: '1' })).toEqual({ status: 200, body: {} });
    const got = await mlflow('GET', 'registered-models/alias', { name: 'fraud', alias: 'champion' });
    expect(got.body.model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expect((await mlflow('GET', 'registered-models/get', { name: 'fraud' })).body.registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    expect((await mlflow('POST', 'registered-models/alias', { name: 'fraud', alias: 'champion', version: '7' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await mlflow('DELETE', 'registered-models/alias', { name: 'fraud', alias: 'champion' })).toEqual({ status: 200, body: {} });
    expect((await mlflow('GET', 'registered-models/alias', { name: 'fraud', alias: 'champion' })).status).toBe(404);
  });

  it('transitions stages and answers the latest version per stage', async () => {
    const moved = await mlflow('POST', 'model-versions/transition-stage', { name: 'fraud', version: '1', stage: 'production', archive_existing_versions: false });
    expect(moved.body.model_version).toMatchObject({ version: '1', current_stage: 'Production' });
    await mlflow('POST', 'model-versions/transition-stage', { name: 'fraud', version: '2', stage: 'Production', archive_existing_versions: true });
    expect((await mlflow('GET', 'model-versions/get', { name: 'fraud', version: '1' })).body.model_version.current_stage).toBe('Archived');
    const latest = await mlflow('POST', 'registered-models/get-latest-versions', { name: 'fraud', stages: ['Production'] });
    expect(latest.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    const viaGet = await mlflow('GET', 'registered-models/get-latest-versions', { name: 'fraud' });
    expect(viaGet.body.model_versions.map((v: { version: string; current_stage: string }) => `${v.version}:${v.current_stage}`)).toEqual(['1:Archived', '2:Production']);
    expect((await mlflow('POST', 'model-versions/transition-stage', { name: 'fraud', version: '1', stage: 'Live' })).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('searches models and versions with MLflow filters, order and page tokens', async () => {
    await mlflow('POST', 'registered-models/create', { name: 'fraud-eu' });
    await mlflow('POST', 'registered-models/create', { name: 'churn' });
    const like = await mlflow('GET', 'registered-models/search', { filter: "name LIKE 'fraud%'" });
    expect(like.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['fraud', 'fraud-eu']);
    const page1 = await mlflow('GET', 'registered-models/search', { max_results: 2, order_by: 'name DESC' });
    expect(page1.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['fraud-eu', 'fraud']);
    const page2 = await mlflow('GET', 'registered-models/search', { max_results: 2, order_by: 'name DESC', page_token: page1.body.next_page_token });
    expect(page2.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['churn']);
    expect(page2.body.next_page_token).toBeUndefined();
    const versions = await mlflow('GET', 'model-versions/search', { filter: "name='fraud' AND tags.k='2'" });
    expect(versions.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect((await mlflow('GET', 'model-versions/search', { filter: "run_id = 'run1'" })).body.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    expect((await mlflow('GET', 'model-versions/search', { filter: "name IN ('fraud', 'churn')", order_by: 'version_number ASC' })).body.model_versions.map((v: { version: string }) => v.version)).toEqual(['1', '2']);
    expect((await mlflow('GET', 'registered-models/search', { filter: "owner = 'x'" })).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await mlflow('GET', 'registered-models/search', { max_results: 1001 })).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('sets and deletes tags, updates, renames and deletes', async () => {
    expect((await mlflow('POST', 'model-versions/set-tag', { name: 'fraud', version: '2', key: 'validated', value: 'yes' })).status).toBe(200);
    expect((await mlflow('GET', 'model-versions/get', { name: 'fraud', version: '2' })).body.model_version.tags).toEqual([{ key: 'k', value: '2' }, { key: 'validated', value: 'yes' }]);
    expect((await mlflow('DELETE', 'model-versions/delete-tag', { name: 'fraud', version: '2', key: 'validated' })).status).toBe(200);
    expect((await mlflow('POST', 'registered-models/set-tag', { name: 'churn', key: 'x', value: 'y' })).status).toBe(200);
    expect((await mlflow('DELETE', 'registered-models/delete-tag', { name: 'churn', key: 'x' })).status).toBe(200);
    expect((await mlflow('PATCH', 'model-versions/update', { name: 'fraud', version: '2', description: 'v2' })).body.model_version.description).toBe('v2');
    expect((await mlflow('PATCH', 'registered-models/update', { name: 'churn', description: 'c' })).body.registered_model.description).toBe('c');
    expect((await mlflow('POST', 'registered-models/rename', { name: 'churn', new_name: 'churn-v2' })).body.registered_model.name).toBe('churn-v2');
    expect(await mlflow('DELETE', 'model-versions/delete', { name: 'fraud', version: '1' })).toEqual({ status: 200, body: {} });
    expect(await mlflow('DELETE', 'registered-models/delete', { name: 'churn-v2' })).toEqual({ status: 200, body: {} });
    expect((await mlflow('GET', 'registered-models/get', { name: 'churn-v2' })).status).toBe(404);
  });

  it('needs a token: UNAUTHENTICATED (401) without one, PERMISSION_DENIED (403) for a write with a read token', async () => {
    const none = await fetch(`${ferry.url}/api/2.0/mlflow/registered-models/search`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error_code: 'UNAUTHENTICATED', message: 'this endpoint needs a valid bearer token' });
    expect((await mlflow('GET', 'registered-models/search', {}, READ_TOKEN)).status).toBe(200);
    const denied = await mlflow('POST', 'registered-models/create', { name: 'x' }, READ_TOKEN);
    expect(denied).toEqual({ status: 403, body: { error_code: 'PERMISSION_DENIED', message: "token 'reader' lacks the 'write' scope this endpoint needs" } });
  });

  it('lets another Ferry follow this registry as an MLflow tracking server (MLFLOW_TRACKING_URI)', async () => {
    await mlflow('POST', 'registered-models/alias', { name: 'fraud', alias: 'champion', version: '2' });
    const follower = await startFerry({
      model_repository: await mkdtemp(path.join(tmpdir(), 'ferry-follower-repo-')),
      registry: { enabled: false, poll_seconds: 0.1, mlflow: { tracking_uri: ferry.url, token: ADMIN_TOKEN }, artifacts: { allow: [path.join(dataDir, 'artifacts')] } },
      models: { scale: 'models:/fraud@champion' },
    });
    try {
      await waitUntil(async () => (await inferScale(follower.url)).version === '2', 10_000, 'follower serving version 2');
      expect(await inferScale(follower.url)).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8] });
      const source = await scaleArtifact(path.join(dataDir, 'artifacts', 'fraud', 'v3'), 3);
      await mlflow('POST', 'model-versions/create', { name: 'fraud', source });
      await mlflow('POST', 'registered-models/alias', { name: 'fraud', alias: 'champion', version: '3' });
      await waitUntil(async () => (await inferScale(follower.url)).version === '3', 5000, 'follower serving version 3');
      expect(await inferScale(follower.url)).toEqual({ status: 200, version: '3', y: [3, 6, 9, 12] });
    } finally {
      await follower.stop();
    }
  });
});
