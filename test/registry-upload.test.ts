// Registering through a server from a machine that does not share its disk: `ferry registry register --url` uploads
// the artifact's files to the management API, the server checks them against the digest, keeps them under its
// artifact folder, and serves the version like any other. Uploads are bounded, confined and need a write token.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRegistry } from '../src/cli/registry.ts';
import { runCli, type CliRun } from './helpers/cli.ts';
import { ADMIN_TOKEN, inferScale, managementApi, scaleArtifact, waitUntil } from './helpers/registry.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const READ_TOKEN = 'read-token-for-upload-tests-0123';
const MAX_BYTES = 64 * 1024;
let serverData: string;
let clientSide: string;
let ferry: RunningFerry;

async function registerWithCli(args: string[]): Promise<CliRun> {
  return runCli(registerRegistry, ['registry', ...args], { FERRY_TOKEN: ADMIN_TOKEN });
}

const put = (digest: string, file: string, body: Uint8Array | string, token: string | null = ADMIN_TOKEN, type = 'application/octet-stream') =>
  fetch(`${ferry.url}/api/v1/artifacts/${digest}/files/${file}`, {
    method: 'PUT', body, headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  serverData = await mkdtemp(path.join(tmpdir(), 'ferry-upload-server-'));
  clientSide = await mkdtemp(path.join(tmpdir(), 'ferry-upload-client-'));
  ferry = await startFerry({
    data_dir: serverData,
    auth: { tokens: [{ name: 'release', token: ADMIN_TOKEN, scopes: ['admin'] }, { name: 'viewer', token: READ_TOKEN, scopes: ['read'] }] },
    registry: { poll_seconds: 0.1, artifacts: { max_bytes: MAX_BYTES, max_files: 3 } },
    models: { scale: 'models:/scale@champion' },
  });
});
afterAll(async () => {
  await ferry?.stop();
  await rm(serverData, { recursive: true, force: true });
  await rm(clientSide, { recursive: true, force: true });
});

describe('registering an artifact by upload', () => {
  it('uploads a folder the server cannot see, keeps it under the digest, and serves it once an alias names it', async () => {
    // The client's folder is outside every path the server may read: only an upload can bring it there.
    const folder = await scaleArtifact(path.join(clientSide, 'scale-model'), 2);
    const result = await registerWithCli(['register', 'scale', folder, '--url', ferry.url, '--alias', 'champion', '-o', 'json']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const version = JSON.parse(result.out);
    expect(version).toMatchObject({ model: 'scale', version: 1, status: 'READY', created_by: 'release', aliases: ['champion'] });
    expect(version.source).toBe(path.join(serverData, 'artifacts', 'scale', version.digest.slice('sha256:'.length)));
    expect(await readdir(version.source)).toEqual(['model.onnx']);
    // Nothing is left in the staging folder once the version is registered.
    expect(await readdir(path.join(serverData, 'artifacts', '.uploads'))).toEqual([]);
    await waitUntil(async () => (await inferScale(ferry.url)).version === '1', 20_000, 'the uploaded version serving');
    expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [2, 4, 6, 8] });
  });

  it('registers a single uploaded file by the digest of its bytes', async () => {
    const bytes = 'not a model, but an artifact all the same\n';
    const digest = `sha256:${sha256(bytes)}`;
    expect((await put(digest, 'notes.txt', bytes)).status).toBe(200);
    const created = await managementApi(ferry.url).register('notes', `upload:${digest}`, { runtime: 'onnx' });
    expect(created.status).toBe(201);
    expect(created.body.source).toBe(path.join(serverData, 'artifacts', 'notes', sha256(bytes), 'notes.txt'));
    expect(created.body.digest).toBe(digest);
  });

  it('refuses files that do not have the digest they were uploaded under, and discards them', async () => {
    const digest = `sha256:${sha256('what the client meant to send')}`;
    expect((await put(digest, 'model.onnx', 'something else')).status).toBe(200);
    const created = await managementApi(ferry.url).register('tampered', `upload:${digest}`);
    expect(created.status).toBe(422);
    expect(created.body.code).toBe('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH');
    expect(await stat(path.join(serverData, 'artifacts', '.uploads', digest.slice(7))).catch(() => undefined)).toBeUndefined();
    expect((await managementApi(ferry.url).call('GET', '/api/v1/models/tampered/versions')).body?.versions ?? []).toEqual([]);
  });

  it('answers 404 for a version registered from an upload that never came', async () => {
    const created = await managementApi(ferry.url).register('missing', `upload:sha256:${'0'.repeat(64)}`);
    expect(created.status).toBe(404);
    expect(created.body.code).toBe('FERRY_ERR_ARTIFACT_NOT_FOUND');
  });

  it('keeps uploads inside their folder, within registry.artifacts limits, and refuses malformed digests', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const escape of ['..%2Foutside', 'a/..%2F..%2Fb', 'a//b', '.%2Fhidden%2F..']) {
      const response = await put(digest, escape, 'x');
      expect(response.status, escape).toBe(400);
    }
    expect((await put('sha256:short', 'model.onnx', 'x')).status).toBe(400);
    expect((await put('md5:abc', 'model.onnx', 'x')).status).toBe(400);

    // One byte past registry.artifacts.max_bytes is refused, and the partial file removed.
    const big = `sha256:${'b'.repeat(64)}`;
    const exact = await put(big, 'exact.bin', new Uint8Array(MAX_BYTES));
    expect(exact.status).toBe(200);
    const over = await put(big, 'over.bin', new Uint8Array(1));
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: string }).error).toMatch(/registry\.artifacts\.max_bytes/);
    expect(await readdir(path.join(serverData, 'artifacts', '.uploads', 'b'.repeat(64)))).toEqual(['exact.bin']);

    // max_files: 3, so the fourth file of one upload is refused.
    const many = `sha256:${'c'.repeat(64)}`;
    for (const name of ['1', '2', '3']) expect((await put(many, name, 'x')).status).toBe(200);
    const fourth = await put(many, '4', 'x');
    expect(fourth.status).toBe(400);
    expect(((await fourth.json()) as { error: string }).error).toMatch(/registry\.artifacts\.max_files/);
  });

  it('needs a write token and raw bytes', async () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    expect((await put(digest, 'f', 'x', null)).status).toBe(401);
    expect((await put(digest, 'f', 'x', READ_TOKEN)).status).toBe(403);
    expect((await put(digest, 'f', '{}', ADMIN_TOKEN, 'application/json')).status).toBe(415);
    expect(await stat(path.join(serverData, 'artifacts', '.uploads', 'd'.repeat(64))).catch(() => undefined)).toBeUndefined();
  });
});
