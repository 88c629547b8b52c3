import type { ExecuteResult, ModelInstance, ModelSignature } from '../../runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../../tensor/index.ts';
import type { SchedulerClock } from '../scheduler.ts';

/**
 * A ModelInstance double for the scheduler's own unit tests (the scheduler is the unit under test, not a model).
 * It computes y = 2x + 1 per element of input 'x' (FP32), plus a per-batch output 'rows' without a batch dimension,
 * records every batch it sees, and counts how many execute() calls overlap.
 */
export interface FakeInstance extends ModelInstance {
  readonly batches: InferRequest[][];
  readonly signals: AbortSignal[];
  /** The `inputsMovable` hint of each execute(), in call order. */
  readonly movable: boolean[];
  /** What each execute() returned, in call order. */
  readonly results: ExecuteResult[][];
  /** Most execute() calls that were in progress at once on this instance. */
  maxOverlap: number;
  /** Finishes the oldest held execution (manual mode). */
  release(): void;
  /** Executions held in manual mode. */
  readonly held: number;
}

export interface FakeInstanceOptions {
  readonly maxBatchSize: number;
  /** Hold every execution until release() is called. */
  readonly manual?: boolean;
  /** Simulated execution time for a batch of `rows` rows, advanced on `clock` (needs a FakeClock). */
  readonly latencyMs?: (rows: number) => number;
  readonly clock?: FakeClock;
  readonly fail?: (request: InferRequest) => Error | undefined;
  /** Real wall-clock delay per execution, in ms (for overlap tests). */
  readonly delayMs?: () => number;
  /**
   * Finish each execution in a later macrotask (setImmediate) without waiting wall-clock time: the model stays
   * busy while the test tops the queue up, as under real load, and a simulation of hundreds of batches takes no
   * timer's millisecond per batch.
   */
  readonly macrotask?: boolean;
  /** The model's own compute time for a request of `rows` rows, reported as ExecuteResult.computeMs. */
  readonly computeMs?: (rows: number) => number;
  /** Batches the instance accepts at once (ModelInstance.pipelineDepth). */
  readonly pipelineDepth?: number;
  /** Takes batches as lists of requests (ModelInstance.unmergedBatches). */
  readonly unmergedBatches?: boolean;
}

export const fakeSignature: ModelSignature = {
  platform: 'fake',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: [-1, -1] },
    { name: 'rows', datatype: 'INT32', shape: [1] },
  ],
};

export class FakeClock implements SchedulerClock {
  epoch = 1_700_000_000_000;
  mono = 0;
  now(): number {
    return this.epoch + this.mono;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.mono += ms;
  }
}

export function fakeInstance(options: FakeInstanceOptions): FakeInstance {
  let active = 0;
  const waiting: (() => void)[] = [];
  const instance: FakeInstance = {
    signature: fakeSignature,
    maxBatchSize: options.maxBatchSize,
    ...(options.pipelineDepth === undefined ? {} : { pipelineDepth: options.pipelineDepth }),
    ...(options.unmergedBatches === undefined ? {} : { unmergedBatches: options.unmergedBatches }),
    batches: [],
    signals: [],
    movable: [],
    results: [],
    maxOverlap: 0,
    get held() {
      return waiting.length;
    },
    release() {
      waiting.shift()?.();
    },
    async execute(batch: readonly InferRequest[], signal: AbortSignal, inputsMovable = false): Promise<ExecuteResult[]> {
      active++;
      instance.maxOverlap = Math.max(instance.maxOverlap, active);
      instance.batches.push([...batch]);
      instance.signals.push(signal);
      instance.movable.push(inputsMovable);
      try {
        if (options.manual) await new Promise<void>((resolve) => waiting.push(resolve));
        else if (options.macrotask === true) await new Promise((resolve) => setImmediate(resolve));
        else if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs!()));
        else await Promise.resolve();
        if (options.latencyMs !== undefined) {
          const rows = batch.reduce((sum, request) => sum + (request.inputs[0]?.shape[0] ?? 0), 0);
          options.clock!.advance(options.latencyMs(rows));
        }
        const results = batch.map((request) => {
          const failure = options.fail?.(request);
          if (failure !== undefined) throw failure;
          const result = compute(request);
          return options.computeMs === undefined ? result : { ...result, computeMs: options.computeMs(request.inputs[0]?.shape[0] ?? 0) };
        });
        instance.results.push(results);
        return results;
      } finally {
        active--;
      }
    },
    async unload() {},
  };
  return instance;
}

function compute(request: InferRequest): ExecuteResult {
  const x = request.inputs.find((input) => input.name === 'x')!;
  const data = Float32Array.from(x.data as Float32Array, (v) => 2 * v + 1);
  const y: Tensor = { name: 'y', datatype: 'FP32', shape: [...x.shape], data };
  const rows: Tensor = { name: 'rows', datatype: 'INT32', shape: [1], data: Int32Array.of(x.shape[0] ?? 0) };
  return { outputs: [y, rows] };
}

/** A request with `rows` rows of `width` FP32 features, values start, start+1, ... */
export function rowsRequest(rows: number, start = 0, width = 2): InferRequest {
  return {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, width], data: Float32Array.from({ length: rows * width }, (_, i) => start + i) }],
  };
}
