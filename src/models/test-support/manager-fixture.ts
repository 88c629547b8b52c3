import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { createLogger } from '../../observe/logger.ts';
import type { ModelInstance, ModelSpec, Runtime, RuntimeContext } from '../../runtimes/runtime.ts';
import type { Executor, ExecutorContext } from '../executor.ts';
import { ModelManager, type ModelManagerOptions } from '../model-manager.ts';

/** One line Ferry's logger wrote, parsed. */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const WARN = 40;
export const ERROR = 50;

/**
 * A model repository in a temporary folder served by a real ModelManager, with a runtime for `model.fake` files:
 * the file's text is the one value the model answers; a text starting with "broken" fails the load with the rest
 * of the text as the reason, "unload-fails N" answers N but throws when unloaded, "cannot-run" loads but fails
 * every request, "gives-up" tells the manager it failed while it loads, and "wrapped" fails with a load error
 * wrapped twice in the "failed to load model" prefix, as layers of a runtime do. Logs go through Ferry's pino
 * logger into `logs`; what the runtime and the executor factory were given is kept in `loads` and `executors`.
 */
export class FakeRepository {
  readonly root: string;
  readonly unloads: string[] = [];
  readonly logs: LogRecord[] = [];
  readonly loads: { spec: ModelSpec; context: RuntimeContext }[] = [];
  readonly executors: ExecutorContext[] = [];
  /** Calls of the executors' drain, and requests they were given, by "model/version". */
  readonly drains: string[] = [];
  readonly enqueued: string[] = [];
  readonly manager: ModelManager;

  private constructor(root: string, options: Partial<ModelManagerOptions>) {
    this.root = root;
    const sink = { write: (line: string) => void this.logs.push(JSON.parse(line) as LogRecord) };
    this.manager = new ModelManager({
      root, runtimes: [this.runtime()], logger: createLogger('debug', sink), threads: { intraOp: 1, interOp: 1 },
      executorFactory: (instances, context): Executor => {
        this.executors.push(context);
        return {
          enqueue: async (request) => {
            this.enqueued.push(`${context.model}/${context.version}`);
            return (await instances[0]!.execute([request], new AbortController().signal))[0]!;
          },
          drain: async () => void this.drains.push(`${context.model}/${context.version}`),
          refusal: () => undefined,
        };
      },
      ...options,
    });
  }

  static async open(options: Partial<ModelManagerOptions> = {}): Promise<FakeRepository> {
    return new FakeRepository(await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-manager-'))), options);
  }

  async close(): Promise<void> {
    await this.manager.close();
    await rm(this.root, { recursive: true, force: true });
  }

  async version(model: string, v: number, value: string): Promise<void> {
    await mkdir(path.join(this.root, model, String(v)), { recursive: true });
    await writeFile(path.join(this.root, model, String(v), 'model.fake'), value);
  }

  yaml(model: string, text: string): Promise<void> {
    return writeFile(path.join(this.root, model, 'model.yaml'), text);
  }

  /** The value and version a request naming `ref` gets. */
  async answer(model: string, ref: { version?: string; label?: string } = {}): Promise<{ version: number; value: number | undefined }> {
    const served = this.manager.resolve(model, ref);
    const result = await served.executor!.enqueue({ inputs: [] }, {});
    return { version: served.version, value: (result.outputs[0]!.data as Float32Array)[0] };
  }

  states(model: string): Record<number, string> {
    return Object.fromEntries([...this.manager.model(model).versions].map(([v, s]) => [v, s.state]));
  }

  reason(model: string, version: number): string | undefined {
    return this.manager.model(model).versions.get(version)?.reason;
  }

  /** The log lines with this message, without pino's own fields. */
  logged(msg: string): Record<string, unknown>[] {
    return this.logs.filter((r) => r.msg === msg).map(({ time: _t, pid: _p, hostname: _h, service: _s, msg: _m, ...rest }) => rest);
  }

  /** The error a call throws (or a promise rejects with), as code and message; 'none' when it does not. */
  static async failure(run: () => unknown): Promise<{ code: string; message: string } | 'none'> {
    try {
      await run();
    } catch (error) {
      return { code: (error as { code: string }).code, message: (error as Error).message };
    }
    return 'none';
  }

  private runtime(): Runtime {
    return {
      name: 'fake',
      canLoad: async (dir) => dir.files.includes('model.fake'),
      load: async (spec, context) => {
        this.loads.push({ spec, context });
        const text = await readFile(path.join(spec.dir.path, 'model.fake'), 'utf8');
        if (text.startsWith('broken')) throw new Error(`cannot read ${path.join(spec.dir.path, 'model.fake')}${text.slice(6)}`);
        if (text === 'wrapped') throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `failed to load model '${spec.name}': inner` });
        if (text === 'gives-up') context.failed?.('its worker gave up');
        const unloadFails = text.startsWith('unload-fails ');
        const value = Number(unloadFails ? text.slice('unload-fails '.length) : text);
        const instance: ModelInstance = {
          signature: { platform: 'fake', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] },
          maxBatchSize: 0,
          execute: async (batch) => {
            if (text === 'cannot-run') throw new Error('cannot run');
            return batch.map(() => ({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: Float32Array.of(value) }] }));
          },
          unload: async () => {
            this.unloads.push(`${spec.name}/${spec.version}`);
            if (unloadFails) throw new Error('the runtime would not let go');
          },
        };
        return instance;
      },
    };
  }
}
