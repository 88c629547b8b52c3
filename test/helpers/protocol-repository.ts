import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, loadConfig } from '../../src/index.ts';
import { createOnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.ts';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { xgboostRuntime } from '../../src/runtimes/xgboost/index.ts';
import { EXAMPLE_MODELS, REPO_ROOT, type RunningFerry } from './server.ts';

/**
 * Where a served model comes from: an example ONNX model, an XGBoost fixture with its xgboost-made case, the
 * bytes-echo test runtime, or a model folder anywhere (absolute path).
 */
export type ModelSource = { readonly example: string } | { readonly xgboost: string } | { readonly echo: true } | { readonly folder: string };

export interface ServedModel {
  readonly source: ModelSource;
  /** model.yaml text (labels, runtime options). */
  readonly yaml?: string;
}

const XGBOOST_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/xgboost');

/** An XGBoost fixture's case: feature names, rows (null = missing) and xgboost's own predictions. */
export interface XgboostCase {
  readonly feature_names: string[];
  readonly rows: (number | null)[][];
  readonly expected: Record<string, number[]>;
}

export async function readXgboostCase(name: string): Promise<XgboostCase> {
  return JSON.parse(await readFile(path.join(XGBOOST_FIXTURES, name, 'case.json'), 'utf8')) as XgboostCase;
}

/**
 * Starts a real Ferry (HTTP, and gRPC when asked) over a scratch repository holding the given models, with the
 * ONNX and XGBoost runtimes and any extra runtimes a test brings.
 */
export async function startWithModels(
  models: Readonly<Record<string, ServedModel>>, extraRuntimes: readonly Runtime[] = [], options: { readonly grpc?: boolean } = {},
): Promise<RunningFerry> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-protocols-'));
  for (const [name, model] of Object.entries(models)) {
    const target = path.join(root, name);
    if ('echo' in model.source) {
      await mkdir(path.join(target, '1'), { recursive: true });
      await writeFile(path.join(target, '1', ECHO_FILE), 'echo\n');
    } else if ('example' in model.source) {
      await cp(path.join(EXAMPLE_MODELS, model.source.example), target, { recursive: true });
    } else if ('folder' in model.source) {
      await cp(model.source.folder, target, { recursive: true });
    } else {
      await mkdir(path.join(target, '1'), { recursive: true });
      await cp(path.join(XGBOOST_FIXTURES, model.source.xgboost, 'model.json'), path.join(target, '1', 'model.json'));
    }
    if (model.yaml) await writeFile(path.join(target, 'model.yaml'), model.yaml);
  }
  const config = loadConfig({
    env: {},
    overrides: { model_repository: root, poll_seconds: 0, log_level: 'silent', http: { port: 0 }, grpc: options.grpc ? { port: 0 } : { enabled: false } },
  });
  const server = createServer({ config, runtimes: [createOnnxRuntime(), xgboostRuntime(), bytesEchoRuntime(), ...extraRuntimes] });
  const ports = await server.start();
  return {
    server,
    ports,
    url: `http://127.0.0.1:${ports.httpPort}`,
    async stop() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP exchange: the exact body text, its JSON when it parses, the status and headers. */
 
export async function send(url: string, init: { method?: string; body?: string; type?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string; json: any; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.type ? { 'content-type': init.type } : init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** Relative closeness for float comparisons against a reference computed at another precision. */
export function expectClose(actual: readonly number[], expected: readonly number[], relative: number): string[] {
  const failures: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} vs ${expected.length}`];
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= relative * Math.max(1, Math.abs(e)))) failures.push(`[${i}] ${a} vs ${e}`);
  });
  return failures;
}

const ECHO_FILE = 'echo.model';

/**
 * A model with a BYTES input, for protocol tests of binary values: `text_bytes` echoes each element and
 * `length` counts its bytes, so every answer is known without running anything but the protocol.
 */
export function bytesEchoRuntime(): Runtime {
  return {
    name: 'bytes-echo',
    async canLoad(dir) {
      return dir.files.includes(ECHO_FILE);
    },
    async load() {
      return {
        signature: {
          platform: 'bytes-echo',
          inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
          outputs: [{ name: 'text_bytes', datatype: 'BYTES', shape: [-1] }, { name: 'length', datatype: 'INT32', shape: [-1] }],
        },
        maxBatchSize: 0,
        async execute(batch) {
          return batch.map((request) => {
            const input = request.inputs[0]!;
            const values = input.data as Uint8Array[];
            return {
              outputs: [
                { name: 'text_bytes', datatype: 'BYTES', shape: [...input.shape], data: values.map((v) => new Uint8Array(v)) },
                { name: 'length', datatype: 'INT32', shape: [...input.shape], data: Int32Array.from(values, (v) => v.byteLength) },
              ],
            };
          });
        },
        async unload() {},
      };
    },
  };
}
