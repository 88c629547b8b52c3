import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FerryError } from '../../errors/index.ts';
import { ModelManager, type EnqueueOptions, type Executor, type ExecutorFactory } from '../../models/index.ts';
import type { ExecuteResult, ModelInstance, ModelSignature, Runtime, RuntimeLogger } from '../../runtimes/runtime.ts';
import type { InferRequest } from '../../tensor/index.ts';

/** How one model's instances behave; every field has a default (below). */
export interface Behaviour {
  readonly signature?: Partial<ModelSignature>;
  readonly maxBatchSize?: number;
  readonly ready?: ModelInstance['ready'];
  /** What the instance answers a request with (default: row sums `sum` and first columns `first` of input `x`). */
  readonly execute?: (request: InferRequest) => ExecuteResult | Promise<ExecuteResult>;
}

/**
 * The default model: input `x` FP32 [-1, 2]; outputs `sum` (each row's sum) and `first` (each row's first element),
 * FP32 [-1]. Its platform names its version (`fake_v2`), so a test sees which version answered.
 */
export function rowSums(request: InferRequest): ExecuteResult {
  const x = request.inputs.find((t) => t.name === 'x');
  const data = (x?.data ?? new Float32Array(0)) as Float32Array;
  const rows = data.length / 2;
  const sum = new Float32Array(rows);
  const first = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    sum[r] = data[2 * r]! + data[2 * r + 1]!;
    first[r] = data[2 * r]!;
  }
  return { outputs: [{ name: 'sum', datatype: 'FP32', shape: [rows], data: sum }, { name: 'first', datatype: 'FP32', shape: [rows], data: first }] };
}

const quiet: RuntimeLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A real ModelManager over a repository folder of the test's own, with a runtime for `model.fake` files (a file
 * whose text starts with "broken" fails to load with the rest as the reason) and an executor that runs each request
 * at once, records a batch of one per request in the version's statistics, and refuses while `refusals` says so.
 */
export class ServedModels {
  readonly root: string;
  readonly manager: ModelManager;
  readonly behaviours = new Map<string, Behaviour>();
  readonly refusals = new Map<string, FerryError>();
  /** Each request the executor took, with the options it was given. */
  readonly enqueued: { readonly model: string; readonly request: InferRequest; readonly options: EnqueueOptions }[] = [];
  /** Milliseconds each batch is recorded as computing for. */
  computeMs = 2;

  private constructor(root: string) {
    this.root = root;
    const runtime: Runtime = {
      name: 'fake',
      canLoad: async (dir) => dir.files.includes('model.fake'),
      load: async (spec) => {
        const text = await readFile(path.join(spec.dir.path, 'model.fake'), 'utf8');
        if (text.startsWith('broken')) throw new Error(`cannot read the model${text.slice(6)}`);
        return this.#instance(spec.name, spec.version);
      },
    };
    const executors: ExecutorFactory = (instances, context): Executor => ({
      enqueue: async (request, options) => {
        this.enqueued.push({ model: context.model, request, options });
        const [result] = await instances[0]!.execute([request], new AbortController().signal);
        context.recorder.recordBatch(request.inputs[0]?.shape[0] ?? 1, [0.25], this.computeMs);
        return result!;
      },
      drain: async () => {},
      refusal: () => this.refusals.get(context.model),
    });
    this.manager = new ModelManager({ root, runtimes: [runtime], executorFactory: executors, logger: quiet, threads: { intraOp: 1, interOp: 1 } });
  }

  static async create(): Promise<ServedModels> {
    return new ServedModels(await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-dataplane-'))));
  }

  #instance(model: string, version: string): ModelInstance {
    const behaviour = this.behaviours.get(model) ?? {};
    return {
      signature: {
        platform: `fake_v${version}`,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1] }, { name: 'first', datatype: 'FP32', shape: [-1] }],
        ...behaviour.signature,
      },
      maxBatchSize: behaviour.maxBatchSize ?? 8,
      execute: async (batch) => Promise.all(batch.map(async (request) => (behaviour.execute ?? rowSums)(request))),
      unload: async () => {},
      ...(behaviour.ready === undefined ? {} : { ready: behaviour.ready }),
    };
  }

  /** Writes version `v` of `model`; text starting with "broken" makes it fail to load. */
  async version(model: string, v: number, text = 'ok'): Promise<void> {
    await mkdir(path.join(this.root, model, String(v)), { recursive: true });
    await writeFile(path.join(this.root, model, String(v), 'model.fake'), text);
  }

  async file(model: string, name: string, text: string): Promise<void> {
    await mkdir(path.join(this.root, model), { recursive: true });
    await writeFile(path.join(this.root, model, name), text);
  }

  async folder(name: string): Promise<void> {
    await mkdir(path.join(this.root, name), { recursive: true });
  }

  async close(): Promise<void> {
    await this.manager.close();
    await rm(this.root, { recursive: true, force: true });
  }
}
