import type { Tensor } from '../../tensor/index.ts';
import { pythonFloat } from '../http/json-numbers.ts';
import { elementWriter, rowSize, type JsonStyle } from '../http/nested-json.ts';
import { writeNested, type JsonSink } from '../http/json-sink.ts';
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
export async function encodePredictions(outputs: readonly Tensor[], style: InputStyle, sink: JsonSink): Promise<void> {
  const writers = outputs.map((t) => elementWriter(t, PYTHON_STYLE));
  const nested = (t: Tensor, i: number, fromDim: number, offset: number) => writeNested(sink, t.shape, fromDim, offset, writers[i]!, ITEM);
  const field = (t: Tensor, i: number) => sink.write(`${i > 0 ? ITEM : ''}${JSON.stringify(t.name)}${KEY}`);
  if (outputs.length === 1) {
    sink.write(`{"predictions"${KEY}`);
    await nested(outputs[0]!, 0, 0, 0);
    sink.write('}');
    return;
  }
  const sameRows = outputs.every((t) => t.shape.length >= 1 && t.shape[0] === outputs[0]!.shape[0]);
  if (style === 'tensor' || !sameRows) {
    sink.write(`{"predictions"${KEY}{`);
    for (let i = 0; i < outputs.length; i++) {
      field(outputs[i]!, i);
      await nested(outputs[i]!, i, 0, 0);
    }
    sink.write('}}');
    return;
  }
  const rows = outputs[0]!.shape[0]!;
  const strides = outputs.map((t) => rowSize(t.shape));
  const width = strides.reduce((a, b) => a + b, 0);
  sink.write(`{"predictions"${KEY}[`);
  for (let r = 0; r < rows; r++) {
    sink.write(r > 0 ? `${ITEM}{` : '{');
    for (let i = 0; i < outputs.length; i++) {
      field(outputs[i]!, i);
      const pending = nested(outputs[i]!, i, 1, r * strides[i]!);
      if (pending) await pending;
    }
    sink.write('}');
    if (sink.due(width)) await sink.pause();
  }
  sink.write(']}');
}
