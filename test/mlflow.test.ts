import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFerry } from './helpers/server.ts';
import { expectClose, readXgboostCase, send, startWithModels, type XgboostCase } from './helpers/protocol-repository.ts';

/**
 * MLflow 2.x scoring protocol (mlflow/pyfunc/scoring_server) against a real server: the four JSON input
 * formats, CSV, params, health and version, and MLflow's error body. Request fixtures are written from the
 * documented forms, e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}} and
 * {"dataframe_records": [{"col": value}, ...]}; predictions are checked against xgboost's own output.
 */
let ferry: RunningFerry;
let single: RunningFerry;
let softprob: XgboostCase;
let regression: XgboostCase;
const invoke = (model: string, body: string, type = 'application/json') => send(`${ferry.url}/mlflow/${model}/invocations`, { body, type });

beforeAll(async () => {
  ferry = await startWithModels({
    half_plus_two: { source: { example: 'half_plus_two' } },
    simple: { source: { example: 'simple' } },
    softprob: { source: { xgboost: 'multi_softprob' } },
    regression: { source: { xgboost: 'reg_squarederror' } },
    regression_matrix: { source: { xgboost: 'reg_squarederror' }, yaml: 'options:\n  inputs: matrix\n' },
  });
  single = await startWithModels({ regression: { source: { xgboost: 'reg_squarederror' } } });
  softprob = await readXgboostCase('multi_softprob');
  regression = await readXgboostCase('reg_squarederror');
});
afterAll(async () => {
  await ferry?.stop();
  await single?.stop();
});

const SHUFFLED = [3, 0, 4, 1, 2];

describe('JSON input formats', () => {
  it('dataframe_split: columns map onto named inputs in any order; one output → a flat list', async () => {
    const columns = SHUFFLED.map((i) => regression.feature_names[i]);
    const data = regression.rows.map((row) => SHUFFLED.map((i) => row[i]));
    const r = await invoke('regression', JSON.stringify({ dataframe_split: { columns, data, index: data.map((_, i) => i) } }));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['predictions']);
    expect(expectClose(r.json.predictions, regression.expected['predict']!, 1e-12)).toEqual([]);
  });

  it('dataframe_records: several outputs come back as records, like a DataFrame', async () => {
    const records = softprob.rows.map((row) => Object.fromEntries(SHUFFLED.map((i) => [softprob.feature_names[i], row[i]])));
    const r = await invoke('softprob', JSON.stringify({ dataframe_records: records }));
    expect(r.status).toBe(200);
    const predictions = r.json.predictions as { probabilities: number[]; label: number }[];
    expect(predictions).toHaveLength(softprob.rows.length);
    expect(Object.keys(predictions[0]!)).toEqual(['probabilities', 'label']);
    expect(expectClose(predictions.flatMap((p) => p.probabilities), softprob.expected['probabilities']!, 1e-12)).toEqual([]);
    expect(predictions.map((p) => p.label)).toEqual(softprob.expected['label']);
  });

  it('a single 2-D input takes the columns as its feature axis, in the order sent', async () => {
    const r = await invoke('regression_matrix', JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c', 'd', 'e'], data: regression.rows } }));
    expect(r.status).toBe(200);
    expect(expectClose(r.json.predictions, regression.expected['predict']!, 1e-12)).toEqual([]);
    const wrong = await invoke('regression_matrix', JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } }));
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toMatch(/takes 5 features per row, the table has 2 columns/);
  });

  it('instances and inputs: tensors for tensor models; whole floats print as Python does', async () => {
    const a = await invoke('half_plus_two', '{"instances": [2.0, 3.0, 4.0]}');
    expect(a.text).toBe('{"predictions": [3.0, 3.5, 4.0]}');
    const b = await invoke('half_plus_two', '{"inputs": {"x": [2.0, 3.0, 4.0]}}');
    expect(b.json).toEqual({ predictions: [3, 3.5, 4] });
    const simple = await invoke('simple', JSON.stringify({ inputs: { INPUT0: [Array(16).fill(3)], INPUT1: [Array(16).fill(1)] } }));
    expect(simple.json).toEqual({ predictions: { OUTPUT0: [Array(16).fill(4)], OUTPUT1: [Array(16).fill(2)] } });
  });

  it('instances as records and inputs as a dict of columns make a table for tree models', async () => {
    const rows = softprob.rows.slice(1, 5);
    const instances = rows.map((row) => Object.fromEntries(softprob.feature_names.map((f, i) => [f, row[i]])));
    const fromInstances = await invoke('softprob', JSON.stringify({ instances }));
    expect(fromInstances.status).toBe(200);
    expect(fromInstances.json.predictions.probabilities.flat()).toHaveLength(12);
    expect(expectClose(fromInstances.json.predictions.probabilities.flat(), softprob.expected['probabilities']!.slice(3, 15), 1e-12)).toEqual([]);
    const inputs = Object.fromEntries(softprob.feature_names.map((f, i) => [f, rows.map((row) => row[i])]));
    const fromInputs = await invoke('softprob', JSON.stringify({ inputs, params: { note: 'accepted' } }));
    expect(fromInputs.json).toEqual(fromInstances.json);
  });

  it('text/csv with a header row; empty cells are missing values', async () => {
    const lines = [softprob.feature_names.join(','), ...softprob.rows.map((row) => row.map((v) => (v === null ? '' : String(v))).join(','))];
    const r = await invoke('softprob', `${lines.join('\r\n')}\r\n`, 'text/csv; charset=utf-8');
    expect(r.status).toBe(200);
    expect(expectClose(r.json.predictions.flatMap((p: { probabilities: number[] }) => p.probabilities), softprob.expected['probabilities']!, 1e-12)).toEqual([]);
    const quoted = await invoke('half_plus_two', '"x"\n"2.0"\n4\n', 'text/csv');
    expect(quoted.json).toEqual({ predictions: [3, 4] });
  });

  it('text/csv as DataFrame.to_csv() writes it, index column first under an empty header, scores without the index', async () => {
    // pandas: DataFrame(rows, columns=feature_names).to_csv() → ",f0,f1,...\n0,v,v,...\n1,..." (NaN as an empty cell).
    const lines = [`,${regression.feature_names.join(',')}`, ...regression.rows.map((row, i) => [String(i), ...row.map((v) => (v === null ? '' : String(v)))].join(','))];
    const r = await invoke('regression', `${lines.join('\n')}\n`, 'text/csv');
    expect(r.status).toBe(200);
    expect(expectClose(r.json.predictions, regression.expected['predict']!, 1e-12)).toEqual([]);
    // A named first column is data, not an index: with one column too many the request is refused, not cut.
    const named = [`idx,${regression.feature_names.join(',')}`, ...regression.rows.map((row, i) => [String(i), ...row.map((v) => String(v ?? ''))].join(','))];
    expect((await invoke('regression', `${named.join('\n')}\n`, 'text/csv')).status).toBe(400);
  });
});

describe('content types', () => {
  it('a body without a Content-Type is a 415 that names the types taken, as MLflow answers', async () => {
    // A byte body: fetch then sends no Content-Type at all.
    const response = await fetch(`${ferry.url}/mlflow/half_plus_two/invocations`, { method: 'POST', body: new TextEncoder().encode('{"inputs": [1]}') });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error_code: 'BAD_REQUEST', message: 'the request has no Content-Type: this endpoint takes application/json or text/csv' });
  });

  it('a dataframe_split with an index as long as its data scores', async () => {
    const r = await invoke('half_plus_two', '{"dataframe_split": {"columns": ["x"], "index": [7, 9], "data": [[2], [4]]}}');
    expect(r.json).toEqual({ predictions: [3, 4] });
  });
});

describe('health, version and model choice', () => {
  it('/ping and /health answer 200 when ready; /version is Ferry\'s version', async () => {
    for (const p of ['/ping', '/health']) {
      const r = await send(`${ferry.url}${p}`);
      expect(r.status).toBe(200);
      expect(r.text).toBe('\n');
    }
    const version = await send(`${ferry.url}/version`);
    expect(version.text).toBe(ferry.server.dataplane.serverMetadata().version);
    expect(version.text).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('/invocations serves the only model; with several, the path or the ferry-model header names one', async () => {
    const body = JSON.stringify({ dataframe_split: { columns: regression.feature_names, data: regression.rows.slice(1, 3) } });
    const bare = await send(`${single.url}/invocations`, { body });
    expect(bare.status).toBe(200);
    expect(expectClose(bare.json.predictions, regression.expected['predict']!.slice(1, 3), 1e-12)).toEqual([]);
    const ambiguous = await send(`${ferry.url}/invocations`, { body });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.json).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/5 models are ready/) });
    const named = await send(`${ferry.url}/invocations`, { body, headers: { 'ferry-model': 'regression' } });
    expect(named.json).toEqual(bare.json);
  });
});

describe('errors come back as {"error_code", "message"}', () => {
  const cases: [string, string, string, string, number, string, RegExp][] = [
    ['no input field', 'half_plus_two', '{"data": [1]}', 'application/json', 400, 'BAD_REQUEST', /exactly one of the fields dataframe_split, dataframe_records, instances, inputs/],
    ['two input fields', 'half_plus_two', '{"instances": [1], "inputs": [1]}', 'application/json', 400, 'BAD_REQUEST', /received the fields instances, inputs/],
    ['a list body', 'half_plus_two', '[1, 2]', 'application/json', 400, 'BAD_REQUEST', /received a list/],
    ['malformed JSON', 'half_plus_two', '{"inputs": [', 'application/json', 400, 'BAD_REQUEST', /malformed request body/],
    ['an unsupported content type', 'half_plus_two', 'x=1', 'application/x-www-form-urlencoded', 415, 'BAD_REQUEST', /unsupported content type/],
    ['a charset other than UTF-8', 'half_plus_two', '{"inputs": [1]}', 'application/json; charset=latin-1', 415, 'BAD_REQUEST', /unsupported content type/],
    ['an unknown model', 'nope', '{"inputs": [1]}', 'application/json', 404, 'RESOURCE_DOES_NOT_EXIST', /model 'nope' not found/],
    ['a params value that is not a scalar', 'half_plus_two', '{"inputs": [1], "params": {"a": [1]}}', 'application/json', 400, 'INVALID_PARAMETER_VALUE', /parameter 'a'/],
    ['a column count that is not the input count', 'softprob', '{"dataframe_split": {"columns": ["a"], "data": [[1]]}}', 'application/json', 400, 'BAD_REQUEST', /takes 5 inputs/],
    ['columns that only partly match the inputs', 'softprob', '{"dataframe_split": {"columns": ["f_alpha", "x", "y", "z", "w"], "data": [[1, 2, 3, 4, 5]]}}', 'application/json', 400, 'BAD_REQUEST', /missing f_beta/],
    ['a row of the wrong width', 'softprob', '{"dataframe_split": {"columns": ["a", "b", "c", "d", "e"], "data": [[1, 2]]}}', 'application/json', 400, 'BAD_REQUEST', /row 0 has 2 values, expected 5/],
    ['a CSV row of the wrong width', 'half_plus_two', 'x\n1,2\n', 'text/csv', 400, 'BAD_REQUEST', /CSV row 1 has 2 fields/],
    ['a CSV cell that is not a number', 'half_plus_two', 'x\nabc\n', 'text/csv', 400, 'BAD_REQUEST', /"abc" is not a number/],
    ['an unclosed CSV quote', 'half_plus_two', 'x\n"1\n', 'text/csv', 400, 'BAD_REQUEST', /quoted CSV field is not closed/],
    ['an empty body', 'half_plus_two', '', 'application/json', 400, 'BAD_REQUEST', /empty body/],
    ['a dataframe_split whose index is shorter than its data', 'half_plus_two', '{"dataframe_split": {"columns": ["x"], "index": [0], "data": [[1], [2]]}}', 'application/json', 400, 'BAD_REQUEST', /'dataframe_split.index' has 1 labels, 'data' has 2 rows/],
    ['a dataframe_split whose index is longer than its data', 'half_plus_two', '{"dataframe_split": {"columns": ["x"], "index": [0, 1, 2], "data": [[1], [2]]}}', 'application/json', 400, 'BAD_REQUEST', /has 3 labels, 'data' has 2 rows/],
  ];
  for (const [what, model, body, type, status, code, message] of cases) {
    it(what, async () => {
      const r = await invoke(model, body, type);
      expect(r.status).toBe(status);
      expect(Object.keys(r.json)).toEqual(['error_code', 'message']);
      expect(r.text.startsWith(`{"error_code": "${code}", "message": `)).toBe(true);
      expect(r.json.message).toMatch(message);
    });
  }
});
