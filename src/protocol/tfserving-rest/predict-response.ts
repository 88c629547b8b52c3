import { ferryError } from '../../errors/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { tfServingFloat } from '../http/json-numbers.ts';
import { elementWriter, nestedText, rowSize, type JsonStyle } from '../http/nested-json.ts';
import type { PredictFormat } from './predict-request.ts';

/** TF Serving writes floats at their own precision and BYTES outputs named `*_bytes` as `{"b64": ...}`. */
export const TF_STYLE: JsonStyle = {
  float: (value, datatype) => tfServingFloat(value, datatype !== 'FP64'),
  base64: (tensor) => tensor.name.endsWith('_bytes'),
  textAlternative: "TF Serving's REST API writes an output as {\"b64\": ...} when its name ends in '_bytes' (rename it in model.yaml `outputs:`), and the V2 protocol carries bytes as they are",
};

/**
 * The predict response as TF Serving shapes it. Row format: `predictions` is a list with one entry per row, the
 * row's value for a single output or an object of named outputs; every output needs the same batch size.
 * Columnar format: `outputs` is the single output's value, or an object of named outputs.
 */
export function encodePredict(model: string, outputs: readonly Tensor[], format: PredictFormat): string {
  if (outputs.length === 0) throw ferryError('FERRY_ERR_INTERNAL', { detail: 'the model returned no outputs' });
  const writers = outputs.map((tensor) => elementWriter(tensor, TF_STYLE));
  if (format === 'columnar') {
    if (outputs.length === 1) return `{"outputs":${nestedText(outputs[0]!.shape, 0, 0, writers[0]!)}}`;
    const fields = outputs.map((t, i) => `${JSON.stringify(t.name)}:${nestedText(t.shape, 0, 0, writers[i]!)}`);
    return `{"outputs":{${fields.join(',')}}}`;
  }
  const batch = batchSize(model, outputs);
  const strides = outputs.map((t) => rowSize(t.shape));
  const rows = new Array<string>(batch);
  for (let r = 0; r < batch; r++) {
    if (outputs.length === 1) {
      rows[r] = nestedText(outputs[0]!.shape, 1, r * strides[0]!, writers[0]!);
    } else {
      const fields = outputs.map((t, i) => `${JSON.stringify(t.name)}:${nestedText(t.shape, 1, r * strides[i]!, writers[i]!)}`);
      rows[r] = `{${fields.join(',')}}`;
    }
  }
  return `{"predictions":[${rows.join(',')}]}`;
}

function batchSize(model: string, outputs: readonly Tensor[]): number {
  let batch = -1;
  for (const tensor of outputs) {
    if (tensor.shape.length === 0) {
      throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail: `output '${tensor.name}' has no batch dimension; use the columnar format ('inputs')` });
    }
    const size = tensor.shape[0]!;
    if (batch !== -1 && size !== batch) {
      throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
        model, detail: `output '${tensor.name}' has batch size ${size}, expected ${batch} like the other outputs; use the columnar format ('inputs')`,
      });
    }
    batch = size;
  }
  return batch;
}
