import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, loadConfig, type FerryConfigInput } from '../../src/index.ts';
import { builtinRuntimes } from '../../src/runtimes/builtin.ts';
import { codeSettings } from '../../src/server-code.ts';
import type { Runtime } from '../../src/runtimes/runtime.ts';
import { EXAMPLE_MODELS, type RunningFerry } from './server.ts';

export interface GraphServerSetup {
  /** Example models copied into the repository. */
  readonly examples?: readonly string[];
  /** Scripted models (see scriptedRuntime): name → script. */
  readonly scripted?: Readonly<Record<string, Script>>;
  /** Deployment files written to `deployments/` beside the repository: base name → YAML text. */
  readonly deployments?: Readonly<Record<string, string>>;
  readonly config?: FerryConfigInput;
  /** A folder to reuse (a restart): its repository, deployments and data directory are kept. */
  readonly root?: string;
}

export interface GraphServer extends RunningFerry {
  readonly root: string;
  /** Stops the server and keeps the folder (for a restart). */
  halt(): Promise<void>;
}

/**
 * A Ferry with inference graphs: a folder holding `models/`, `deployments/` beside it and `data/`. Scripted
 * models stand where a test needs an arm that is slow or fails on purpose; every other node is a real model.
 */
export async function startGraphServer(setup: GraphServerSetup): Promise<GraphServer> {
  const root = setup.root ?? await mkdtemp(path.join(tmpdir(), 'ferry-graphs-'));
  const models = path.join(root, 'models');
  await mkdir(models, { recursive: true });
  await mkdir(path.join(root, 'deployments'), { recursive: true });
  for (const example of setup.examples ?? []) await cp(path.join(EXAMPLE_MODELS, example), path.join(models, example), { recursive: true });
  for (const [name, script] of Object.entries(setup.scripted ?? {})) {
    await mkdir(path.join(models, name, '1'), { recursive: true });
    await writeFile(path.join(models, name, '1', SCRIPT_FILE), JSON.stringify(script));
  }
  for (const [name, text] of Object.entries(setup.deployments ?? {})) await writeFile(path.join(root, 'deployments', `${name}.yaml`), text);
  const config = loadConfig({
    env: {},
    overrides: {
      model_repository: models, data_dir: path.join(root, 'data'), poll_seconds: 0, log_level: 'silent',
      ...setup.config,
      http: { port: 0, ...setup.config?.http },
      grpc: { port: 0, ...setup.config?.grpc },
    } as Record<string, unknown>,
  });
  // Models as code load as the configuration says (runtime.allow_code), as in a server built from it.
  const server = createServer({ config, runtimes: [...builtinRuntimes({ code: codeSettings(config) }), scriptedRuntime()] });
  const ports = await server.start();
  return {
    server, ports, root, url: `http://127.0.0.1:${ports.httpPort}`,
    halt: () => server.stop(),
    async stop() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** y = x * scale + offset, after sleeping `sleep_ms`; fails a `fail_rate` share of calls (a model that misbehaves). */
export interface Script {
  readonly scale?: number;
  readonly offset?: number;
  readonly sleep_ms?: number;
  readonly fail_rate?: number;
}

const SCRIPT_FILE = 'script.json';

export function scriptedRuntime(): Runtime {
  return {
    name: 'scripted',
    async canLoad(dir) {
      return dir.files.includes(SCRIPT_FILE);
    },
    async load(spec) {
      const { readFile } = await import('node:fs/promises');
      const script = JSON.parse(await readFile(path.join(spec.dir.path, SCRIPT_FILE), 'utf8')) as Script;
      return {
        signature: { platform: 'scripted', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] },
        maxBatchSize: 0,
        async execute(batch) {
          if (script.sleep_ms) await new Promise((r) => setTimeout(r, script.sleep_ms));
          if (script.fail_rate && Math.random() < script.fail_rate) throw new Error('scripted failure');
          return batch.map((request) => {
            const x = request.inputs[0]!.data as Float32Array;
            return { outputs: [{ name: 'y', datatype: 'FP32', shape: [x.length], data: Float32Array.from(x, (v) => v * (script.scale ?? 1) + (script.offset ?? 0)) }] };
          });
        },
        async unload() {},
      };
    },
  };
}

/** A V2 REST infer call with one FP32 vector input. */
export async function inferX(url: string, model: string, x: readonly number[], extra: { headers?: Record<string, string>; parameters?: Record<string, unknown>; id?: string } = {}) {
  const response = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra.headers },
    body: JSON.stringify({ ...(extra.id ? { id: extra.id } : {}), ...(extra.parameters ? { parameters: extra.parameters } : {}), inputs: [{ name: 'x', datatype: 'FP32', shape: [x.length], data: x }] }),
  });
  return { status: response.status, body: await response.json() as any };
}
