import { ferryError } from '../../errors/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { tfServingFloat } from '../http/json-numbers.ts';
import { elementWriter, rowSize, type JsonStyle } from '../http/nested-json.ts';
import { writeNested, type JsonSink } from '../http/json-sink.ts';
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
 * Columnar format: `outputs` is the single output's value, or an object of named outputs. Written into `sink`,
 * yielding to the event loop on the way through a large answer.
 */
export async function encodePredict(model: string, outputs: readonly Tensor[], format: PredictFormat, sink: JsonSink): Promise<void> {
  if (outputs.length === 0) throw ferryError('FERRY_ERR_INTERNAL', { detail: 'the model returned no outputs' });
  const writers = outputs.map((tensor) => elementWriter(tensor, TF_STYLE));
  if (format === 'columnar') {
    if (outputs.length === 1) {
      sink.write('{"outputs":');
      await writeNested(sink, outputs[0]!.shape, 0, 0, writers[0]!);
      sink.write('}');
      return;
    }
    sink.write('{"outputs":{');
    for (let i = 0; i < outputs.length; i++) {
      sink.write(`${i > 0 ? ',' : ''}${JSON.stringify(outputs[i]!.name)}:`);
      await writeNested(sink, outputs[i]!.shape, 0, 0, writers[i]!);
    }
    sink.write('}}');
    return;
  }
  const batch = batchSize(model, outputs);
  const strides = outputs.map((t) => rowSize(t.shape));
  sink.write('{"predictions":[');
  for (let r = 0; r < batch; r++) {
    if (r > 0) sink.write(',');
    if (outputs.length === 1) {
      const pending = writeNested(sink, outputs[0]!.shape, 1, r * strides[0]!, writers[0]!);
      if (pending) await pending;
    } else {
      sink.write('{');
      for (let i = 0; i < outputs.length; i++) {
        sink.write(`${i > 0 ? ',' : ''}${JSON.stringify(outputs[i]!.name)}:`);
        const pending = writeNested(sink, outputs[i]!.shape, 1, r * strides[i]!, writers[i]!);
        if (pending) await pending;
      }
      sink.write('}');
    }
    if (sink.due(strides[0]!)) await sink.pause();
  }
  sink.write(']}');
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
