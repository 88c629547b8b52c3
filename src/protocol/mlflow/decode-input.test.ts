// MLflow 2.x scoring bodies (https://mlflow.org/docs/latest/deployment/deploy-model-locally.html): exactly one of
// dataframe_split (pandas' split orient), dataframe_records (records orient), instances or inputs (tensors), and
// optional params. Tables feed the inputs by column; tensors by input name.
import { describe, expect, it } from 'vitest';
import type { TensorMetadata } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { decodeJsonInput } from './decode-input.ts';

const pair: TensorMetadata[] = [
  { name: 'a', datatype: 'FP64', shape: [-1] },
  { name: 'b', datatype: 'INT64', shape: [-1] },
];
const matrix: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }];
const invalid = (detail: string) => ({ code: 'FERRY_ERR_INVALID_REQUEST', message: `invalid request: ${detail}` });
const REQUIRED = 'the input must be a JSON object with exactly one of the fields dataframe_split, dataframe_records, instances, inputs (and optionally \'params\')';

describe('dataframe_split', () => {
  it('reads columns and rows, by column name, and ignores an index of the same length', () => {
    const decoded = decodeJsonInput('m', { dataframe_split: { columns: ['b', 'a'], data: [[2n ** 53n + 1n, 0.5], [-1, 2]], index: [7, 8] } }, pair);
    expect(decoded.style).toBe('frame');
    const [a, b] = decoded.request.inputs;
    expect(a!.name).toBe('a');
    expect(values(a!.data)).toEqual([0.5, 2]);
    expect(values(b!.data)).toEqual([9007199254740993n, -1n]);
    expect(decoded.request.parameters).toBeUndefined();
    expect('parameters' in decoded.request).toBe(false);
  });

  it('reads a row that is a single value as a row of one, and a missing index or a null one as none', () => {
    const one: TensorMetadata[] = [{ name: 'v', datatype: 'FP32', shape: [-1] }];
    const [v] = decodeJsonInput('m', { dataframe_split: { data: [1, 2], index: null } }, one).request.inputs;
    expect(v!.shape).toEqual([2]);
    expect(values(v!.data)).toEqual([1, 2]);
    const [x] = decodeJsonInput('m', { dataframe_split: { data: [[1, 2]] } }, matrix).request.inputs;
    expect(x!.shape).toEqual([1, 2]);
  });

  it('refuses what pandas would not read', () => {
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: [[1, 2]] }, matrix))).toEqual(invalid("'dataframe_split' must be an object with 'columns' and 'data'"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { columns: 'a', data: [] } }, matrix))).toEqual(invalid("'dataframe_split.columns' must be a list of column names"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { columns: ['a', 1], data: [] } }, matrix))).toEqual(invalid("'dataframe_split.columns' must be a list of column names"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { columns: ['a'] } }, matrix))).toEqual(invalid("'dataframe_split.data' must be a list of rows"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { data: [[1, 2]], index: 0 } }, matrix))).toEqual(invalid("'dataframe_split.index' must be a list of row labels"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { data: [[1, 2]], index: [0, 1] } }, matrix))).toEqual(invalid("'dataframe_split.index' has 2 labels, 'data' has 1 rows"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_split: { data: [] } }, matrix))).toEqual(invalid('the table has no rows'));
  });
});

describe('dataframe_records', () => {
  it('takes columns in order of first appearance, a gap as a missing value', () => {
    const inputs: TensorMetadata[] = [{ name: 'a', datatype: 'FP64', shape: [-1] }, { name: 's', datatype: 'BYTES', shape: [-1] }];
    const records = decodeJsonInput('m', { dataframe_records: [{ a: 1 }, { s: 'x', a: 2 }, { a: null, s: 'y' }] }, inputs);
    expect(records.style).toBe('frame');
    const [a, s] = records.request.inputs;
    expect(values(a!.data)).toEqual([1, 2, NaN]);
    expect((s!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['', 'x', 'y']);
    const [x] = decodeJsonInput('m', { dataframe_records: [{ q: 1, p: 2 }] }, matrix).request.inputs;
    expect(values(x!.data)).toEqual([1, 2]);
  });

  it('refuses what is not a non-empty list of objects', () => {
    expect(refusal(() => decodeJsonInput('m', { dataframe_records: [] }, pair))).toEqual(invalid("'dataframe_records' must be a non-empty list of objects"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_records: { a: 1 } }, pair))).toEqual(invalid("'dataframe_records' must be a non-empty list of objects"));
    expect(refusal(() => decodeJsonInput('m', { dataframe_records: [{ a: 1, b: 1 }, [1, 2]] }, pair))).toEqual(invalid("item 1 of 'dataframe_records' is not an object"));
  });
});

describe('instances', () => {
  it('feeds a single input with the list as it is', () => {
    const decoded = decodeJsonInput('m', { instances: [[1, 2], [3, 4]] }, matrix);
    expect(decoded.style).toBe('tensor');
    expect(decoded.request.inputs[0]!.shape).toEqual([2, 2]);
    expect(values(decoded.request.inputs[0]!.data)).toEqual([1, 2, 3, 4]);
  });

  it('feeds named inputs from objects keyed by input name, as tensors', () => {
    const decoded = decodeJsonInput('m', { instances: [{ a: 0.5, b: 2n ** 53n + 1n }, { b: 1, a: 1.5 }] }, pair);
    expect(decoded.style).toBe('tensor');
    expect(values(decoded.request.inputs[0]!.data)).toEqual([0.5, 1.5]);
    expect(values(decoded.request.inputs[1]!.data)).toEqual([9007199254740993n, 1n]);
  });

  it('reads objects with other keys, and rows for several inputs, as a table', () => {
    const byPosition = decodeJsonInput('m', { instances: [{ p: 0.5, q: 1 }] }, pair);
    expect(byPosition.style).toBe('frame');
    expect(values(byPosition.request.inputs[1]!.data)).toEqual([1n]);
    const rows = decodeJsonInput('m', { instances: [[0.5, 1], [1.5, 2]] }, pair);
    expect(rows.style).toBe('frame');
    expect(values(rows.request.inputs[0]!.data)).toEqual([0.5, 1.5]);
    expect(refusal(() => decodeJsonInput('m', { instances: [1, 2] }, pair))).toEqual(invalid("model 'm' takes 2 inputs (a, b), the table has 1 columns"));
    expect(refusal(() => decodeJsonInput('m', { instances: [{ a: 1 }] }, pair)).message).toBe("invalid request: model 'm' takes 2 inputs (a, b), the table has 1 columns");
  });

  it('refuses what is not a non-empty list, objects among values, and objects with more keys than inputs', () => {
    expect(refusal(() => decodeJsonInput('m', { instances: [{ a: 1, b: 2 }, 5] }, pair))).toEqual(invalid("item 1 of 'instances' is not an object"));
    expect(refusal(() => decodeJsonInput('m', { instances: [{ a: 1, b: 2, c: 3 }] }, pair))).toEqual(invalid("model 'm' takes 2 inputs (a, b), the table has 3 columns"));
    expect(refusal(() => decodeJsonInput('m', { inputs: { a: [1], b: [2], c: [3] } }, pair))).toEqual(invalid("model 'm' takes 2 inputs (a, b), the table has 3 columns"));
    expect(refusal(() => decodeJsonInput('m', { instances: [] }, matrix))).toEqual(invalid("'instances' must be a non-empty list"));
    expect(refusal(() => decodeJsonInput('m', { instances: { x: [1, 2] } }, matrix))).toEqual(invalid("'instances' must be a non-empty list"));
  });

  it('passes its limits on', () => {
    const limits = { maxRank: 2, maxElements: 4 };
    expect(decodeJsonInput('m', { instances: [[1, 2], [3, 4]] }, matrix, limits).request.inputs[0]!.shape).toEqual([2, 2]);
    expect(refusal(() => decodeJsonInput('m', { instances: [[1, 2], [3, 4], [5, 6]] }, matrix, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeJsonInput('m', { instances: [{ a: [[1]], b: 1 }] }, pair, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeJsonInput('m', { inputs: { a: [[[1]]], b: [1] } }, pair, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeJsonInput('m', { inputs: [[[1]]] }, matrix, limits)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(refusal(() => decodeJsonInput('m', { inputs: 1 }, matrix, { maxRank: 0, maxElements: 0 })).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });
});

describe('inputs', () => {
  it('feeds a single input from a list or a scalar', () => {
    const decoded = decodeJsonInput('m', { inputs: [[1, 2]] }, matrix);
    expect(decoded.style).toBe('tensor');
    expect(decoded.request.inputs[0]!.shape).toEqual([1, 2]);
    const s = decodeJsonInput('m', { inputs: 4 }, [{ name: 's', datatype: 'INT32', shape: [] }]);
    expect(s.style).toBe('tensor');
    expect(s.request.inputs[0]!.shape).toEqual([]);
    expect(values(s.request.inputs[0]!.data)).toEqual([4]);
  });

  it('feeds named inputs from an object of input names, each with its own shape', () => {
    const decoded = decodeJsonInput('m', { inputs: { b: [1, 2, 3], a: [0.5] } }, pair);
    expect(decoded.style).toBe('tensor');
    expect(decoded.request.inputs.map((t) => t.shape)).toEqual([[1], [3]]);
    expect(values(decoded.request.inputs[1]!.data)).toEqual([1n, 2n, 3n]);
  });

  it('reads an object of equally long columns with other names as a table', () => {
    const decoded = decodeJsonInput('m', { inputs: { p: [0.5, 1.5], q: [1, 2] } }, pair);
    expect(decoded.style).toBe('frame');
    expect(values(decoded.request.inputs[0]!.data)).toEqual([0.5, 1.5]);
    expect(values(decoded.request.inputs[1]!.data)).toEqual([1n, 2n]);
    const rows = decodeJsonInput('m', { inputs: [{ a: 1, b: 2 }] }, pair);
    expect(rows.style).toBe('tensor');
  });

  it('refuses empty objects, unknown names and missing inputs', () => {
    expect(refusal(() => decodeJsonInput('m', { inputs: {} }, pair))).toEqual({ code: 'FERRY_ERR_INPUT_MISSING', message: "model 'm' requires input 'a'" });
    expect(refusal(() => decodeJsonInput('m', { inputs: { a: [1], z: [1, 2] } }, pair))).toEqual({
      code: 'FERRY_ERR_INPUT_UNEXPECTED', message: "model 'm' has no input 'z' (inputs: a, b)",
    });
    expect(refusal(() => decodeJsonInput('m', { inputs: { a: 1, ['z'.repeat(70)]: 1 } }, pair)).message).toBe(`model 'm' has no input '${'z'.repeat(64)}' (inputs: a, b)`);
    expect(refusal(() => decodeJsonInput('m', { inputs: { b: 1 } }, pair))).toEqual({ code: 'FERRY_ERR_INPUT_MISSING', message: "model 'm' requires input 'a'" });
    expect(refusal(() => decodeJsonInput('m', { inputs: { a: [1] } }, pair))).toEqual(invalid("model 'm' takes 2 inputs (a, b), the table has 1 columns"));
    expect(decodeJsonInput('m', { inputs: { a: [1], b: [1, 2] } }, pair).request.inputs.map((t) => t.shape)).toEqual([[1], [2]]);
    expect(refusal(() => decodeJsonInput('m', { inputs: 'x' }, pair))).toEqual(invalid("'inputs' must be an object keyed by input name (a, b)"));
  });
});

describe('the body', () => {
  it('refuses anything but an object with exactly one format', () => {
    expect(refusal(() => decodeJsonInput('m', [1], pair))).toEqual(invalid(`${REQUIRED}; received a list`));
    expect(refusal(() => decodeJsonInput('m', 'x', pair))).toEqual(invalid(`${REQUIRED}; received string`));
    expect(refusal(() => decodeJsonInput('m', null, pair))).toEqual(invalid(`${REQUIRED}; received object`));
    expect(refusal(() => decodeJsonInput('m', {}, pair))).toEqual(invalid(`${REQUIRED}; received the fields (none)`));
    expect(refusal(() => decodeJsonInput('m', { instances: [1], inputs: [1] }, pair))).toEqual(invalid(`${REQUIRED}; received the fields instances, inputs`));
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 1]));
    expect(refusal(() => decodeJsonInput('m', many, pair))).toEqual(invalid(`${REQUIRED}; received the fields k0, k1, k2, k3, k4, k5, k6, k7, k8, k9`));
  });

  it('passes params on as the request parameters, and refuses params that are not parameters', () => {
    const decoded = decodeJsonInput('m', { inputs: [[1, 2]], params: { temperature: 0.5, tag: 'x' } }, matrix);
    expect(decoded.request.parameters).toEqual({ temperature: 0.5, tag: 'x' });
    expect(values(decoded.request.inputs[0]!.data)).toEqual([1, 2]);
    expect(decodeJsonInput('m', { dataframe_records: [{ a: 1, b: 2 }], params: { k: true } }, pair).request.parameters).toEqual({ k: true });
    expect(decodeJsonInput('m', { dataframe_split: { data: [[1, 2]] }, params: { k: 1 } }, pair).request.parameters).toEqual({ k: 1 });
    expect(decodeJsonInput('m', { instances: [[1, 2]], params: { k: 1 } }, matrix).request.parameters).toEqual({ k: 1 });
    expect(refusal(() => decodeJsonInput('m', { inputs: [[1, 2]], params: [1] }, matrix))).toEqual(invalid('params must be an object'));
  });
});
