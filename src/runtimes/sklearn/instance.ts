import { ferryError, isFerryError } from '../../errors/index.ts';
import type { InferRequest, Tensor } from '../../tensor/index.ts';
import type { ExecuteResult, ModelInstance, ModelSignature } from '../runtime.ts';
import { readTabular, type FeatureSpec, type InputLayout } from '../tabular.ts';
import type { Frame, Step } from './frame.ts';
import { predictionTensors, transformTensor } from './outputs.ts';
import { concatRows, sliceFrame, sliceTensorRows, stackBatches } from './rows.ts';

/** Rows evaluated between two yields to the event loop, so a big batch never blocks other work for long. */
const CHUNK_ROWS = 2048;

export interface SklearnModel {
  readonly name: string;
  readonly features: readonly FeatureSpec[];
  readonly layout: InputLayout;
  readonly step: Step;
  readonly signature: ModelSignature;
  readonly maxBatchSize: number;
}

export function createInstance(model: SklearnModel): ModelInstance {
  return {
    signature: model.signature,
    maxBatchSize: model.maxBatchSize,
    async execute(batch: readonly InferRequest[], signal: AbortSignal): Promise<ExecuteResult[]> {
      // All requests run merged, as one frame: per-batch work, not per-request.
      const tables = batch.map((request) => withModelName(model.name, () => readTabular(request, model.features, model.layout)));
      const frame = stackBatches(tables, model.features.length);
      const chunks: Tensor[][] = [];
      let start = 0;
      do {
        if (signal.aborted) throw ferryError('FERRY_ERR_CANCELLED');
        const end = Math.min(frame.rows, start + CHUNK_ROWS);
        const chunk = sliceFrame(frame, start, end);
        chunks.push(withModelName(model.name, () => evaluate(model.step, chunk)));
        if (end < frame.rows) await new Promise((resolve) => setImmediate(resolve));
        start = end;
      } while (start < frame.rows);
      const outputs = concatRows(chunks);
      let offset = 0;
      return tables.map((table) => {
        const result = { outputs: outputs.map((t) => sliceTensorRows(t, offset, offset + table.rows)) };
        offset += table.rows;
        return result;
      });
    },
    async unload() {},
  };
}

function evaluate(step: Step, frame: Frame): Tensor[] {
  if (step.role === 'transformer') {
    const out = step.transform(frame);
    return [transformTensor(out, 0, out.rows)];
  }
  return predictionTensors(step, step.predict(frame), 0, frame.rows);
}

/** Errors raised below without the model's name (tabular.ts leaves it blank) get it here; others become execution errors. */
function withModelName<T>(model: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isFerryError(error)) {
      if (error.params.model === '') throw ferryError(error.code, { ...error.params, model }, error);
      throw error;
    }
    throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: error instanceof Error ? error.message : String(error) }, error);
  }
}
