import { ferryError } from '../../errors/index.ts';
import { encodeJsonData, type InferResponse, type Tensor } from '../../tensor/index.ts';
import type { ProtocolLimits } from '../http/limits.ts';
import type { PayloadKind } from '../seldon/message-request.ts';
import { tfTensorAsJson, tfTensorOf, type WireTfTensor } from './tf-tensor.ts';
import { fromList, fromValue, toList, toValue, type OutValue, type WireList, type WireValue } from './values.ts';
import { columnNames, tableRowCount } from '../seldon/table-columns.ts';

/** A SeldonMessage as protobufjs decodes it (keepCase; `data_oneof` names the payload that is set). */
export interface WireSeldonMessage {
  readonly meta?: WireMeta | null;
  readonly data_oneof?: string;
  readonly data?: {
    readonly names?: readonly string[]; readonly data_oneof?: string; readonly tensor?: { readonly shape?: readonly number[]; readonly values?: readonly number[] };
    readonly ndarray?: WireList; readonly tftensor?: WireTfTensor;
  } | null;
  readonly binData?: Uint8Array;
  readonly strData?: string;
  readonly jsonData?: WireValue;
}
export interface WireMeta {
  readonly puid?: string;
  readonly tags?: Readonly<Record<string, WireValue>>;
  readonly routing?: Readonly<Record<string, number>>;
  readonly requestPath?: Readonly<Record<string, string>>;
}
export interface WireFeedback {
  readonly request?: WireSeldonMessage | null;
  readonly response?: WireSeldonMessage | null;
  readonly reward?: number;
  readonly truth?: WireSeldonMessage | null;
}

/**
 * A SeldonMessage in the JSON form Seldon's REST API carries, so that the REST adapter's decoder maps it onto the
 * model's inputs the same way: `data.ndarray` (a ListValue) as nested lists, `data.tensor` as shape and values,
 * `data.tftensor` (TensorFlow's TensorProto) as a `data.tensor` of its values, `binData` as base64, `jsonData` as
 * the JSON value it holds.
 */
export function messageAsJson(message: WireSeldonMessage, limits: ProtocolLimits): Record<string, unknown> {
  const out: Record<string, unknown> = { meta: metaAsJson(message.meta, limits) };
  switch (message.data_oneof) {
    case 'data': {
      const data = message.data!;
      const json: Record<string, unknown> = { names: [...(data.names ?? [])] };
      if (data.data_oneof === 'tensor') json['tensor'] = { shape: [...(data.tensor?.shape ?? [])], values: [...(data.tensor?.values ?? [])] };
      else if (data.data_oneof === 'ndarray') json['ndarray'] = fromList(data.ndarray ?? {}, limits.maxJsonDepth);
      else if (data.data_oneof === 'tftensor') json['tensor'] = tfTensorAsJson(data.tftensor ?? {});
      out['data'] = json;
      break;
    }
    case 'binData':
      out['binData'] = Buffer.from(message.binData!).toString('base64');
      break;
    case 'strData':
      out['strData'] = message.strData;
      break;
    case 'jsonData':
      out['jsonData'] = fromValue(message.jsonData!, limits.maxJsonDepth);
      break;
    case 'customData':
      throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: 'customData (protobuf Any) is not supported; send data, binData, strData or jsonData' });
    default:
      break; // no payload: the REST decoder names the fields it needs
  }
  return out;
}

function metaAsJson(meta: WireMeta | null | undefined, limits: ProtocolLimits): Record<string, unknown> {
  if (!meta) return {};
  const tags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta.tags ?? {})) tags[key] = fromValue(value, limits.maxJsonDepth);
  return { puid: meta.puid ?? '', tags, routing: { ...meta.routing }, requestPath: { ...meta.requestPath } };
}

/**
 * The answer as a SeldonMessage, in the payload form of the request as over REST: `data.tensor` for a tensor
 * request with numeric outputs, `data.tftensor` for a tftensor request, `jsonData` (named outputs) for a jsonData
 * request, `data.ndarray` otherwise. One
 * output is sent as it is; several of the same rows become the columns of one table, named `name` (1-D) or
 * `name:i` (2-D). ListValue and Tensor carry doubles: a 64-bit integer beyond 2^53 is refused, never rounded.
 */
export function answerMessage(response: InferResponse, kind: PayloadKind | 'tftensor', meta: object): object {
  const outputs = response.outputs;
  if (kind === 'tftensor') {
    // One output keeps its type; several become one table of doubles.
    if (outputs.length === 1) return { data: { names: columnNames(outputs[0]!), tftensor: tfTensorOf(response.modelName, outputs[0]!) }, meta };
    const table = columns(response.modelName, outputs);
    const values = Float64Array.from(table.values, Number);
    return { data: { names: table.names, tftensor: tfTensorOf(response.modelName, { name: 'table', datatype: 'FP64', shape: table.shape, data: values }) }, meta };
  }
  if (kind === 'jsonData') {
    const fields: Record<string, OutValue> = {};
    for (const t of outputs) fields[t.name] = { listValue: nestedList(elements(response.modelName, t), t.shape, 0, 0) };
    return { jsonData: { structValue: { fields } }, meta };
  }
  const asTensor = kind === 'tensor' && outputs.every((t) => t.datatype !== 'BYTES');
  const table = outputs.length === 1 ? single(response.modelName, outputs[0]!) : columns(response.modelName, outputs);
  if (asTensor) return { data: { names: table.names, tensor: { shape: table.shape, values: table.values.map(Number) } }, meta };
  return { data: { names: table.names, ndarray: table.nested() }, meta };
}

interface Table {
  readonly names: string[];
  readonly shape: number[];
  readonly values: unknown[];
  nested(): { values: OutValue[] };
}

function single(model: string, tensor: Tensor): Table {
  const values = elements(model, tensor);
  return { names: columnNames(tensor), shape: [...tensor.shape], values, nested: () => nestedList(values, tensor.shape, 0, 0) };
}

function columns(model: string, outputs: readonly Tensor[]): Table {
  const rows = tableRowCount(model, outputs);
  const all = outputs.map((t) => elements(model, t));
  const widths = outputs.map((t) => (t.shape.length === 2 ? t.shape[1]! : 1));
  const names = outputs.flatMap(columnNames);
  const tableRows: unknown[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: unknown[] = [];
    all.forEach((values, o) => {
      for (let c = 0; c < widths[o]!; c++) row.push(values[r * widths[o]! + c]);
    });
    tableRows.push(row);
  }
  const width = widths.reduce((a, b) => a + b, 0);
  return { names, shape: [rows, width], values: tableRows.flat(), nested: () => toList(tableRows) };
}

/** The tensor's elements as JSON values: numbers (64-bit integers as doubles), booleans, or UTF-8 text. */
function elements(model: string, tensor: Tensor): unknown[] {
  if (tensor.datatype === 'BYTES') {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    return (tensor.data as Uint8Array[]).map((bytes, i) => {
      try {
        return decoder.decode(bytes);
      } catch {
        throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail: `output '${tensor.name}' element ${i} is not UTF-8 text, which a SeldonMessage cannot carry in a list; use the V2 protocol` });
      }
    });
  }
  const values = encodeJsonData(tensor.datatype, tensor.data);
  return tensor.datatype === 'INT64' || tensor.datatype === 'UINT64' ? values.map((v, i) => exactDouble(model, tensor.name, i, v)) : values;
}

/**
 * A 64-bit integer as the double a ListValue or Tensor carries, refused beyond 2^53 where the double would hold
 * another number: a wrong answer must never look like the model's.
 */
function exactDouble(model: string, output: string, index: number, value: unknown): number {
  const number = Number(value);
  if (Number.isInteger(number) && BigInt(number) === BigInt(value as bigint | number | string)) return number;
  throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
    model, detail: `output '${output}' element ${index} is ${String(value)}, beyond 2^53, which a SeldonMessage's doubles cannot hold exactly; ask with data.tftensor, or over Seldon's REST API or the V2 protocol`,
  });
}

function nestedList(values: readonly unknown[], shape: readonly number[], dim: number, offset: number): { values: OutValue[] } {
  if (dim === shape.length - 1 || shape.length === 0) return toList(shape.length === 0 ? values.slice(offset, offset + 1) : values.slice(offset, offset + shape[dim]!));
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out: OutValue[] = [];
  for (let i = 0; i < shape[dim]!; i++) out.push({ listValue: nestedList(values, shape, dim + 1, offset + i * stride) });
  return { values: out };
}

/** Response meta as the Meta message: tags as Values, routing as arm indices (router → index). */
export function metaMessage(meta: { puid: string; tags: unknown; requestPath: Record<string, string> }, routing: Record<string, number>): object {
  const tags: Record<string, OutValue> = {};
  if (typeof meta.tags === 'object' && meta.tags !== null) for (const [k, v] of Object.entries(meta.tags)) tags[k] = toValue(v);
  return { puid: meta.puid, tags, routing, requestPath: meta.requestPath };
}
