import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startFerry, type RunningFerry } from './server.ts';

export const REGISTRY_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/registry');
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** Copies the `scale-<k>` model (y = k * x) to `<folder>` and returns the folder. */
export async function scaleArtifact(folder: string, k: 1 | 2 | 3): Promise<string> {
  await cp(path.join(REGISTRY_FIXTURES, `scale-${k}`), folder, { recursive: true });
  return folder;
}

/** A small client of the management API with a token. */
export function managementApi(baseUrl: string, token = ADMIN_TOKEN) {
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    register: (model: string, source: string, extra: Record<string, unknown> = {}) => call('POST', `/api/v1/models/${model}/versions`, { source, create_model: true, ...extra }),
    setAlias: (model: string, alias: string, version: number) => call('PUT', `/api/v1/models/${model}/aliases/${alias}`, { version }),
    serving: () => call('GET', '/api/v1/serving'),
  };
}

/** One request to the scale model; the answer's version and its first output value for x = [1, 2, 3, 4]. */
export async function inferScale(baseUrl: string, model = 'scale'): Promise<{ status: number; version?: string; y?: number[]; error?: string }> {
  const response = await fetch(`${baseUrl}/v2/models/${model}/infer`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
  });
  const body = await response.json() as { model_version?: string; outputs?: { data: number[] }[]; error?: string };
  return { status: response.status, ...(body.model_version ? { version: body.model_version } : {}), ...(body.outputs ? { y: body.outputs[0]!.data } : {}), ...(body.error ? { error: body.error } : {}) };
}

/** Polls `probe` until it returns true, or fails after `timeoutMs`. Returns the milliseconds it took. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await probe())) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

/** A server whose `scale` model follows `models:/scale@champion` in its own registry, with an admin token. */
export interface RegistryFerry {
  readonly ferry: RunningFerry;
  readonly api: ReturnType<typeof managementApi>;
  /** The server's data folder (registry store, artifact root); tests put their artifacts below it. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startRegistryFerry(prefix: string): Promise<RegistryFerry> {
  const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
  const repository = await mkdtemp(path.join(tmpdir(), 'ferry-empty-repo-'));
  const ferry = await startFerry({
    data_dir: dataDir, model_repository: repository,
    auth: { tokens: [{ name: 'release-bot', token: ADMIN_TOKEN, scopes: ['admin'] }] },
    registry: { poll_seconds: 0.1 },
    models: { scale: 'models:/scale@champion' },
  });
  return {
    ferry, api: managementApi(ferry.url), dataDir,
    stop: async () => {
      await ferry.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(repository, { recursive: true, force: true });
    },
  };
}
