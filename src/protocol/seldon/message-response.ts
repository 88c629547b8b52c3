import { randomUUID } from 'node:crypto';
import type { InferResponse, Tensor } from '../../tensor/index.ts';
import { jsonText } from '../http/exact-json.ts';
import { pythonFloat } from '../http/json-numbers.ts';
import { elementWriter, rowSize, type JsonStyle } from '../http/nested-json.ts';
import { writeNested, type JsonSink } from '../http/json-sink.ts';
import type { PayloadKind } from './message-request.ts';
import { columnNames, tableRowCount } from './table-columns.ts';

/** Seldon's wrappers are Python: floats print as Python prints them. */
const SELDON_STYLE: JsonStyle = {
  float: (value) => pythonFloat(value),
  textAlternative: 'the V2 protocol carries bytes as they are (binary tensor extension, or gRPC)',
};

/**
 * A SeldonMessage answer in the payload form of the request: `data.tensor` for a tensor request (numeric outputs),
 * `data.ndarray` otherwise, `jsonData` (an object of named outputs) for a jsonData request. A single output is sent
 * as it is; several outputs of the same batch size become the columns of one table. `data.names` names the
 * columns: the output name for a 1-D output, `name:i` for the columns of a 2-D one.
 */
export async function encodeMessage(response: InferResponse, kind: PayloadKind, requestMeta: Readonly<Record<string, unknown>>, sink: JsonSink): Promise<void> {
  const meta = jsonText(responseMeta(response, requestMeta));
  const outputs = response.outputs;
  if (kind === 'jsonData') {
    sink.write('{"jsonData":{');
    for (let i = 0; i < outputs.length; i++) {
      const t = outputs[i]!;
      sink.write(`${i > 0 ? ',' : ''}${JSON.stringify(t.name)}:`);
      await writeNested(sink, t.shape, 0, 0, elementWriter(t, SELDON_STYLE));
    }
    sink.write(`},"meta":${meta}}`);
    return;
  }
  const asTensor = kind === 'tensor' && outputs.every((t) => t.datatype !== 'BYTES');
  sink.write('{"data":');
  if (outputs.length === 1) await single(outputs[0]!, asTensor, sink);
  else await table(response.modelName, outputs, asTensor, sink);
  sink.write(`,"meta":${meta}}`);
}

async function single(tensor: Tensor, asTensor: boolean, sink: JsonSink): Promise<void> {
  const names = JSON.stringify(columnNames(tensor));
  const write = elementWriter(tensor, SELDON_STYLE);
  if (asTensor) {
    sink.write(`{"names":${names},"tensor":{"shape":[${tensor.shape.join(',')}],"values":`);
    await writeNested(sink, [tensor.data.length], 0, 0, write);
    sink.write('}}');
    return;
  }
  sink.write(`{"names":${names},"ndarray":`);
  await writeNested(sink, tensor.shape, 0, 0, write);
  sink.write('}');
}

async function table(model: string, outputs: readonly Tensor[], asTensor: boolean, sink: JsonSink): Promise<void> {
  const rows = tableRowCount(model, outputs);
  const writers = outputs.map((t) => elementWriter(t, SELDON_STYLE));
  const widths = outputs.map((t) => rowSize(t.shape));
  const names = outputs.flatMap(columnNames);
  const width = widths.reduce((a, b) => a + b, 0);
  sink.write(asTensor ? `{"names":${JSON.stringify(names)},"tensor":{"shape":[${rows},${names.length}],"values":[` : `{"names":${JSON.stringify(names)},"ndarray":[`);
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    outputs.forEach((_, o) => {
      for (let c = 0; c < widths[o]!; c++) row.push(writers[o]!(r * widths[o]! + c));
    });
    const cells = row.join(',');
    sink.write(`${r > 0 ? ',' : ''}${asTensor ? cells : `[${cells}]`}`);
    if (sink.due(width)) await sink.pause();
  }
  sink.write(asTensor ? ']}}' : ']}');
}

/** The request's puid and tags come back; requestPath names the model and the version that answered. */
export function responseMeta(response: Pick<InferResponse, 'modelName' | 'modelVersion' | 'parameters'>, requestMeta: Readonly<Record<string, unknown>>) {
  const puid = typeof requestMeta['puid'] === 'string' && requestMeta['puid'] !== '' ? requestMeta['puid'] : randomUUID();
  const tags = typeof requestMeta['tags'] === 'object' && requestMeta['tags'] !== null ? requestMeta['tags'] : {};
  return { puid, tags, routing: routingOf(response.parameters?.['ferry_route']), requestPath: { [response.modelName]: `${response.modelName}:${response.modelVersion}` }, metrics: [] };
}

/** A graph's route (`router=arm,...` in `ferry_route`) as Seldon's `meta.routing`: router → the arm that answered. */
function routingOf(route: unknown): Record<string, string> {
  const routing: Record<string, string> = {};
  if (typeof route !== 'string') return routing;
  for (const pair of route.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) routing[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return routing;
}
