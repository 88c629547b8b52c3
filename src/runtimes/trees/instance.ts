import type { InferRequest } from '../../tensor/index.ts';
import type { ExecuteResult, ModelInstance, ModelSignature } from '../runtime.ts';
import { tabularInputs, type InputLayout } from '../tabular.ts';
import { evaluateInChunks } from './chunked.ts';
import { buildMatrix, type TreeFeature } from './matrix.ts';
import { outputMetadata, outputTensors, splitByRequest, valuesPerRow, type OutputHead } from './outputs.ts';

/** A compiled forest with its link function: fills `out` with the final values of rows [start, end). */
export interface TreeEvaluator<T extends Float32Array | Float64Array> {
  /** Float32Array when the format compares features in float32 (XGBoost), else Float64Array. */
  readonly Matrix: new (length: number) => T;
  /** What evaluating one row costs, in walks down a shallow tree (trees/structure.ts walkCost): the chunking budgets it. */
  readonly walksPerRow: number;
  evaluate(x: T, start: number, end: number, out: Float64Array): void;
}

export interface TreeInstanceOptions<T extends Float32Array | Float64Array> {
  readonly platform: string;
  readonly features: readonly TreeFeature[];
  readonly layout: InputLayout;
  readonly head: OutputHead;
  readonly evaluator: TreeEvaluator<T>;
  readonly maxBatchSize: number;
}

/** The ModelInstance shared by the tree runtimes: merge the batch, walk the forest in chunks, split by request. */
export function createTreeInstance<T extends Float32Array | Float64Array>(opts: TreeInstanceOptions<T>): ModelInstance {
  const signature: ModelSignature = {
    platform: opts.platform,
    inputs: tabularInputs(opts.features, opts.layout),
    outputs: outputMetadata(opts.head),
    bytesInputs: 'text', // categories are matched as strings
    numericInputs: 'convert',
  };
  const width = valuesPerRow(opts.head);
  return {
    signature,
    maxBatchSize: opts.maxBatchSize,
    async execute(batch: readonly InferRequest[], signal: AbortSignal): Promise<ExecuteResult[]> {
      const matrix = buildMatrix(batch, opts.features, opts.layout, opts.evaluator.Matrix);
      const out = new Float64Array(matrix.rows * width);
      await evaluateInChunks(matrix.rows, opts.evaluator.walksPerRow, (start, end) => opts.evaluator.evaluate(matrix.values, start, end, out), signal);
      return splitByRequest(outputTensors(opts.head, out, matrix.rows), matrix.rowsPerRequest);
    },
    async unload(): Promise<void> {},
  };
}
