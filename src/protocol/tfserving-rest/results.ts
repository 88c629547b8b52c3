import { ferryError } from '../../errors/index.ts';
import { encodeJsonData, isFloatType, type RequestedOutput, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { tfServingFloat } from '../http/json-numbers.ts';
import { elementWriter } from '../http/nested-json.ts';
import { TF_STYLE } from './predict-response.ts';
import type { JsonSink } from '../http/json-sink.ts';

/** Which outputs answer a classify or regress call; picked from the signature before the model runs. */
export interface ResultPlan {
  readonly verb: 'classify' | 'regress';
  /** Regress: the value per example. Classify: the class scores [-1, K]. */
  readonly values: string;
  /** Classify: class names [-1, K] (TF's `classes` output); without one, labels are the class indices. */
  readonly classes?: string;
}

const SCORE_NAMES = ['scores', 'probabilities', 'probability', 'output_probability'];

/**
 * Regress needs one float output with a single value per example (TF's `outputs`); classify needs a float
 * output of class scores [-1, K] (TF's `scores`, else `probabilities`, else the only such output).
 */
export function planResults(model: string, verb: 'classify' | 'regress', outputs: readonly TensorMetadata[]): ResultPlan {
  const floats = outputs.filter((o) => isFloatType(o.datatype));
  if (verb === 'regress') {
    const scalar = floats.filter((o) => o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1));
    const chosen = scalar.length === 1 ? scalar[0] : scalar.find((o) => o.name === 'outputs');
    if (!chosen) throw unsupported(model, verb, 'one float output with a single value per example ([-1] or [-1, 1])', outputs);
    return { verb, values: chosen.name };
  }
  const scores = floats.filter((o) => o.shape.length === 2);
  const chosen = SCORE_NAMES.map((name) => scores.find((o) => o.name === name)).find((o) => o !== undefined) ?? (scores.length === 1 ? scores[0] : undefined);
  if (!chosen) throw unsupported(model, verb, "a float output of class scores [-1, K] (named 'scores' or 'probabilities' when there are several)", outputs);
  const classes = outputs.find((o) => o.name === 'classes' && o.datatype === 'BYTES' && o.shape.length === 2);
  return { verb, values: chosen.name, ...(classes ? { classes: classes.name } : {}) };
}

function unsupported(model: string, verb: string, needs: string, outputs: readonly TensorMetadata[]) {
  const has = outputs.map((o) => `${o.name} ${o.datatype} [${o.shape.join(',')}]`).join(', ');
  return ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail: `${verb} needs ${needs}; the model's outputs are ${has}` });
}

export function requestedOutputs(plan: ResultPlan): RequestedOutput[] {
  return plan.classes ? [{ name: plan.values }, { name: plan.classes }] : [{ name: plan.values }];
}

/** `{"results": ...}`: a value per example (regress) or [[label, score], ...] per example (classify). */
export async function encodeResults(plan: ResultPlan, outputs: readonly Tensor[], sink: JsonSink): Promise<void> {
  const values = outputs.find((t) => t.name === plan.values)!;
  // TF Serving's ClassificationResult and RegressionResult hold 32-bit floats.
  const float = (v: number) => tfServingFloat(Math.fround(v), true);
  const numbers = encodeJsonData(values.datatype, values.data) as number[];
  sink.write('{"results":[');
  if (plan.verb === 'regress') {
    for (let i = 0; i < numbers.length; i++) {
      sink.write(`${i > 0 ? ',' : ''}${float(numbers[i]!)}`);
      if (sink.due()) await sink.pause();
    }
    sink.write(']}');
    return;
  }
  const rows = values.shape[0]!;
  const k = values.shape[1]!;
  const classes = plan.classes ? outputs.find((t) => t.name === plan.classes) : undefined;
  const label = classes ? elementWriter(classes, TF_STYLE) : (i: number) => `"${i % k}"`;
  for (let r = 0; r < rows; r++) {
    const pairs: string[] = [];
    for (let c = 0; c < k; c++) pairs.push(`[${label(r * k + c)},${float(numbers[r * k + c]!)}]`);
    sink.write(`${r > 0 ? ',' : ''}[${pairs.join(',')}]`);
    if (sink.due(k)) await sink.pause();
  }
  sink.write(']}');
}
