import { ferryError } from '../../errors/index.ts';
import { DEFAULT_SHAPE_LIMITS, type InferRequest, type Parameters, type ShapeLimits, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { isNamedObject, tensorFromNested } from '../http/nested-json.ts';
import { tableToInputs, type Table } from '../http/table-inputs.ts';
import { decodeParameters } from '../v2-rest/decode-request.ts';
import { isJsonObject, invalidRequest } from '../http/request-shape.ts';

/** Dataframe-style inputs get dataframe-style answers (records); tensor inputs get tensors back. */
export type InputStyle = 'frame' | 'tensor';

export interface DecodedInput {
  readonly style: InputStyle;
  readonly request: InferRequest;
}

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const REQUIRED = `the input must be a JSON object with exactly one of the fields ${FORMATS.join(', ')} (and optionally 'params')`;

/**
 * Decodes an MLflow 2.x scoring request. `dataframe_split` and `dataframe_records` are tables (columns onto
 * inputs, see tableToInputs). `instances` and `inputs` are tensors: a value or list for a single-input model, an
 * object (or list of objects) keyed by input name for named inputs; keys that are not input names make a table.
 */
export function decodeJsonInput(model: string, body: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): DecodedInput {
  if (!isJsonObject(body)) throw invalidRequest(`${REQUIRED}; received ${Array.isArray(body) ? 'a list' : typeof body}`);
  const present = FORMATS.filter((key) => body[key] !== undefined);
  if (present.length !== 1) throw invalidRequest(`${REQUIRED}; received the fields ${Object.keys(body).slice(0, 10).join(', ') || '(none)'}`);
  const parameters = decodeParameters(body['params'], 'params');
  const withParameters = (request: InferRequest): InferRequest => (parameters ? { ...request, parameters: parameters as Parameters } : request);
  const format = present[0]!;
  const value = body[format];
  switch (format) {
    case 'dataframe_split':
      return { style: 'frame', request: withParameters({ inputs: tableToInputs(model, inputs, splitTable(value)) }) };
    case 'dataframe_records':
      return { style: 'frame', request: withParameters({ inputs: tableToInputs(model, inputs, recordsTable(value, 'dataframe_records')) }) };
    case 'instances':
      if (!Array.isArray(value) || value.length === 0) throw invalidRequest("'instances' must be a non-empty list");
      return withStyle(instancesInputs(model, value, inputs, limits), withParameters);
    default:
      return withStyle(inputsInputs(model, value, inputs, limits), withParameters);
  }
}

function withStyle(decoded: { style: InputStyle; inputs: Tensor[] }, wrap: (r: InferRequest) => InferRequest): DecodedInput {
  return { style: decoded.style, request: wrap({ inputs: decoded.inputs }) };
}

/**
 * pandas' split orient: `{"columns": [...], "data": [[...], ...], "index": [...]}`. The index labels rows and is
 * not scored, but pandas refuses a frame whose index and data differ in length, and so does MLflow: a 400.
 */
function splitTable(value: unknown): Table {
  if (!isJsonObject(value)) throw invalidRequest("'dataframe_split' must be an object with 'columns' and 'data'");
  const { columns, data, index } = value;
  if (columns !== undefined && (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string'))) {
    throw invalidRequest("'dataframe_split.columns' must be a list of column names");
  }
  if (!Array.isArray(data)) throw invalidRequest("'dataframe_split.data' must be a list of rows");
  if (index !== undefined && index !== null) {
    if (!Array.isArray(index)) throw invalidRequest("'dataframe_split.index' must be a list of row labels");
    if (index.length !== data.length) throw invalidRequest(`'dataframe_split.index' has ${index.length} labels, 'data' has ${data.length} rows`);
  }
  const rows = data.map((row: unknown) => (Array.isArray(row) ? row : [row]));
  return { columns: columns as string[] | undefined, rows };
}

/** pandas' records orient: a list of `{column: value}`; columns in order of first appearance, gaps are missing. */
function recordsTable(value: unknown, field: string): Table {
  if (!Array.isArray(value) || value.length === 0) throw invalidRequest(`'${field}' must be a non-empty list of objects`);
  const columns: string[] = [];
  const seen = new Set<string>();
  value.forEach((record, r) => {
    if (!isJsonObject(record)) throw invalidRequest(`item ${r} of '${field}' is not an object`);
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  });
  const rows = (value as Record<string, unknown>[]).map((record) => columns.map((c) => record[c] ?? null));
  return { columns, rows };
}

function instancesInputs(model: string, instances: unknown[], inputs: readonly TensorMetadata[], limits: ShapeLimits): { style: InputStyle; inputs: Tensor[] } {
  if (isNamedObject(instances[0])) {
    const table = recordsTable(instances, 'instances');
    if (matchesInputs(table.columns!, inputs)) {
      return { style: 'tensor', inputs: inputs.map((input) => tensorFromNested(input.name, input.datatype, instances.map((row) => (row as Record<string, unknown>)[input.name]), limits)) };
    }
    return { style: 'frame', inputs: tableToInputs(model, inputs, table) };
  }
  if (inputs.length === 1) return { style: 'tensor', inputs: [tensorFromNested(inputs[0]!.name, inputs[0]!.datatype, instances, limits)] };
  return { style: 'frame', inputs: tableToInputs(model, inputs, { columns: undefined, rows: instances.map((row) => (Array.isArray(row) ? row : [row])) }) };
}

function inputsInputs(model: string, value: unknown, inputs: readonly TensorMetadata[], limits: ShapeLimits): { style: InputStyle; inputs: Tensor[] } {
  if (!isNamedObject(value)) {
    if (Array.isArray(value)) return instancesInputs(model, value, inputs, limits);
    if (inputs.length === 1) return { style: 'tensor', inputs: [tensorFromNested(inputs[0]!.name, inputs[0]!.datatype, value, limits)] };
    throw invalidRequest(`'inputs' must be an object keyed by input name (${inputs.map((i) => i.name).join(', ')})`);
  }
  const keys = Object.keys(value);
  if (keys.length === 0) throw ferryError('FERRY_ERR_INPUT_MISSING', { model, input: inputs[0]!.name });
  if (matchesInputs(keys, inputs)) {
    return { style: 'tensor', inputs: inputs.map((input) => tensorFromNested(input.name, input.datatype, value[input.name], limits)) };
  }
  // A dict of equally long columns is a dataframe whose column names are not the input names.
  const columns = keys.map((k) => value[k]);
  const rows = columns[0];
  if (!columns.every((c) => Array.isArray(c) && c.length === (rows as unknown[]).length)) {
    const unknown = keys.find((k) => !inputs.some((i) => i.name === k));
    if (unknown !== undefined) throw ferryError('FERRY_ERR_INPUT_UNEXPECTED', { model, input: unknown.slice(0, 64), expected: inputs.map((i) => i.name).join(', ') });
    throw ferryError('FERRY_ERR_INPUT_MISSING', { model, input: inputs.find((i) => !keys.includes(i.name))!.name });
  }
  const table = { columns: keys, rows: (rows as unknown[]).map((_, r) => columns.map((c) => (c as unknown[])[r])) };
  return { style: 'frame', inputs: tableToInputs(model, inputs, table) };
}

function matchesInputs(names: readonly string[], inputs: readonly TensorMetadata[]): boolean {
  return names.length === inputs.length && inputs.every((input) => names.includes(input.name));
}


