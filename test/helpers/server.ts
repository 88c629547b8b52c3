import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, loadConfig, type FerryConfigInput, type FerryServer } from '../../src/index.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const EXAMPLE_MODELS = path.join(REPO_ROOT, 'examples/models');

export interface RunningFerry {
  readonly server: FerryServer;
  readonly url: string;
  readonly ports: { readonly httpPort: number; readonly grpcPort?: number };
  stop(): Promise<void>;
}

/**
 * Starts a real Ferry server on ephemeral ports over `repository` (default: the example models), with its data
 * directory (the SQLite registry, artifact cache) in a fresh temporary folder unless the test names one.
 */
export async function startFerry(overrides: FerryConfigInput = {}): Promise<RunningFerry> {
  const dataDir = overrides.data_dir === undefined ? await mkdtemp(path.join(tmpdir(), 'ferry-data-')) : undefined;
  const config = loadConfig({
    env: {},
    overrides: {
      model_repository: EXAMPLE_MODELS,
      ...(dataDir ? { data_dir: dataDir } : {}),
      poll_seconds: 0,
      log_level: 'silent',
      ...overrides,
      http: { port: 0, ...overrides.http },
      grpc: { port: 0, ...overrides.grpc },
    } as Record<string, unknown>,
  });
  const server = createServer({ config });
  const ports = await server.start();
  return {
    server, ports, url: `http://127.0.0.1:${ports.httpPort}`,
    async stop() {
      await server.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A scratch copy of some example models that a test may change (hot reload, load/unload). */
export async function scratchRepository(models: readonly string[]): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-repo-'));
  for (const model of models) await cp(path.join(EXAMPLE_MODELS, model), path.join(root, model), { recursive: true });
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the raw text is returned
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A response body as loosely typed JSON: tests assert its shape field by field. */
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
