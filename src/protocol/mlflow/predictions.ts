import type { Tensor } from '../../tensor/index.ts';
import { pythonFloat } from '../http/json-numbers.ts';
import { elementWriter, nestedText, rowSize, type JsonStyle } from '../http/nested-json.ts';
import type { InputStyle } from './decode-input.ts';

const PYTHON_STYLE: JsonStyle = {
  float: (value) => pythonFloat(value),
  textAlternative: 'the V2 protocol carries bytes as they are (binary tensor extension, or gRPC)',
};
// json.dumps' default separators, so the bytes are MLflow's own.
const ITEM = ', ';
const KEY = ': ';

/**
 * `{"predictions": ...}` as MLflow 2.x writes it (json.dumps of numpy results): a single output as its nested
 * list; several outputs as records (one object per row, like a DataFrame) for table inputs, or as an object of
 * named nested lists (like a dict of arrays) for tensor inputs.
 */
export function encodePredictions(outputs: readonly Tensor[], style: InputStyle): string {
  const writers = outputs.map((t) => elementWriter(t, PYTHON_STYLE));
  const nested = (t: Tensor, i: number, fromDim: number, offset: number) => nestedText(t.shape, fromDim, offset, writers[i]!, ITEM);
  const field = (t: Tensor, text: string) => `${JSON.stringify(t.name)}${KEY}${text}`;
  if (outputs.length === 1) return `{"predictions"${KEY}${nested(outputs[0]!, 0, 0, 0)}}`;
  const sameRows = outputs.every((t) => t.shape.length >= 1 && t.shape[0] === outputs[0]!.shape[0]);
  if (style === 'tensor' || !sameRows) {
    return `{"predictions"${KEY}{${outputs.map((t, i) => field(t, nested(t, i, 0, 0))).join(ITEM)}}}`;
  }
  const rows = outputs[0]!.shape[0]!;
  const strides = outputs.map((t) => rowSize(t.shape));
  const records = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    records[r] = `{${outputs.map((t, i) => field(t, nested(t, i, 1, r * strides[i]!))).join(ITEM)}}`;
  }
  return `{"predictions"${KEY}[${records.join(ITEM)}]}`;
}
