import type { Tensor } from '../../tensor/index.ts';
import { pythonFloat } from '../http/json-numbers.ts';
import { elementWriter, nestedText, rowSize, type JsonStyle } from '../http/nested-json.ts';
import type { InputStyle } from './decode-input.ts';

const PYTHON_STYLE: JsonStyle = { float: (value) => pythonFloat(value) };

/**
 * `{"predictions": ...}` as MLflow 2.x writes it (json.dumps of numpy results): a single output as its nested
 * list; several outputs as records (one object per row, like a DataFrame) for table inputs, or as an object of
 * named nested lists (like a dict of arrays) for tensor inputs.
 */
export function encodePredictions(outputs: readonly Tensor[], style: InputStyle): string {
  const writers = outputs.map((t) => elementWriter(t, PYTHON_STYLE));
  if (outputs.length === 1) return `{"predictions":${nestedText(outputs[0]!.shape, 0, 0, writers[0]!)}}`;
  const sameRows = outputs.every((t) => t.shape.length >= 1 && t.shape[0] === outputs[0]!.shape[0]);
  if (style === 'tensor' || !sameRows) {
    const fields = outputs.map((t, i) => `${JSON.stringify(t.name)}:${nestedText(t.shape, 0, 0, writers[i]!)}`);
    return `{"predictions":{${fields.join(',')}}}`;
  }
  const rows = outputs[0]!.shape[0]!;
  const strides = outputs.map((t) => rowSize(t.shape));
  const records = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    records[r] = `{${outputs.map((t, i) => `${JSON.stringify(t.name)}:${nestedText(t.shape, 1, r * strides[i]!, writers[i]!)}`).join(',')}}`;
  }
  return `{"predictions":[${records.join(',')}]}`;
}
