// Tables (MLflow's dataframe formats, CSV, Seldon's 2-D ndarray with names) onto a model's inputs: one column per
// named 1-D input, matched by name or position, or all columns into one [-1, F] input.
import { describe, expect, it } from 'vitest';
import type { TensorMetadata } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import { cellFor, planTable, tableToInputs } from './table-inputs.ts';

const columns: TensorMetadata[] = [
  { name: 'a', datatype: 'FP32', shape: [-1] },
  { name: 'b', datatype: 'INT64', shape: [-1, 1] },
];
const matrix: TensorMetadata[] = [{ name: 'x', datatype: 'FP64', shape: [-1, 3] }];

describe('tableToInputs', () => {
  it('feeds one 2-D input from all columns, row-major, in the order sent', () => {
    const [x] = tableToInputs('m', matrix, { columns: ['p', 'q', 'r'], rows: [[1, 2, 3], [4, 5, 6]] });
    expect(x!.name).toBe('x');
    expect(x!.datatype).toBe('FP64');
    expect(x!.shape).toEqual([2, 3]);
    expect(values(x!.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes any number of columns for a [-1, -1] input, the width from the first row without names', () => {
    const [x] = tableToInputs('m', [{ name: 'x', datatype: 'INT32', shape: [-1, -1] }], { columns: undefined, rows: [[1, 2]] });
    expect(x!.shape).toEqual([1, 2]);
    expect(values(x!.data)).toEqual([1, 2]);
  });

  it('feeds named 1-D inputs by name, whatever the column order', () => {
    const [a, b] = tableToInputs('m', columns, { columns: ['b', 'a'], rows: [[9007199254740993n, 0.5], [-1n, 2]] });
    expect(a!.shape).toEqual([2]);
    expect(values(a!.data)).toEqual([0.5, 2]);
    expect(b!.name).toBe('b');
    expect(b!.datatype).toBe('INT64');
    expect(b!.shape).toEqual([2, 1]);
    expect(values(b!.data)).toEqual([9007199254740993n, -1n]);
  });

  it('feeds them by position when no column name is an input name, or when there are no names', () => {
    for (const names of [['p', 'q'], undefined]) {
      const [a, b] = tableToInputs('m', columns, { columns: names, rows: [[0.5, 3]] });
      expect(values(a!.data)).toEqual([0.5]);
      expect(values(b!.data)).toEqual([3n]);
    }
  });

  it('refuses a partial match of names, listing the missing inputs and unknown columns', () => {
    expect(refusal(() => tableToInputs('m', columns, { columns: ['a', 'z'], rows: [[1, 2]] }))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: "invalid request: columns do not match the inputs of model 'm': missing b; unknown z",
    });
    expect(refusal(() => tableToInputs('m', columns, { columns: ['a', 'a'], rows: [[1, 2]] })).message).toBe('invalid request: column names repeat');
    const three: TensorMetadata[] = [...columns, { name: 'c', datatype: 'FP32', shape: [-1] }];
    expect(refusal(() => tableToInputs('m', three, { columns: ['y', 'a', 'z'], rows: [[1, 2, 3]] })).message).toBe(
      "invalid request: columns do not match the inputs of model 'm': missing b, c; unknown y, z",
    );
  });

  it('refuses an empty table, rows that are not lists, and rows of another width', () => {
    expect(refusal(() => tableToInputs('m', columns, { columns: ['a', 'b'], rows: [] }))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: 'invalid request: the table has no rows',
    });
    expect(refusal(() => tableToInputs('m', columns, { columns: undefined, rows: [[1, 2], 'x' as never] })).message).toBe('invalid request: row 1 is not a list of values');
    expect(refusal(() => tableToInputs('m', columns, { columns: ['a', 'b'], rows: [[1, 2], [1]] })).message).toBe('invalid request: row 1 has 1 values, expected 2');
    expect(refusal(() => tableToInputs('m', columns, { columns: ['a', 'b'], rows: [[1]] })).message).toBe('invalid request: row 0 has 1 values, expected 2');
  });

  it('reads CSV text cells by the input datatype, an empty cell as missing', () => {
    const inputs: TensorMetadata[] = [
      { name: 'f', datatype: 'FP64', shape: [-1] }, { name: 'i', datatype: 'INT64', shape: [-1] },
      { name: 'k', datatype: 'BOOL', shape: [-1] }, { name: 's', datatype: 'BYTES', shape: [-1] },
    ];
    const [f, i, k, s] = tableToInputs('m', inputs, { columns: ['f', 'i', 'k', 's'], rows: [[' 1.5e1 ', '9007199254740993', 'True', ' x '], ['', '-2', '0', '']], textCells: true });
    expect(values(f!.data)).toEqual([15, NaN]);
    expect(values(i!.data)).toEqual([9007199254740993n, -2n]);
    expect(values(k!.data)).toEqual([1, 0]);
    expect((s!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual([' x ', '']);
    const [x] = tableToInputs('m', [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], { columns: undefined, rows: [['1', '2']], textCells: true });
    expect(values(x!.data)).toEqual([1, 2]);
    expect(refusal(() => tableToInputs('m', [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }], { columns: undefined, rows: [['1', '2']] })).code)
      .toBe('FERRY_ERR_TENSOR_DATA');
  });
});

describe('planTable', () => {
  it('plans a matrix for one 2-D input whose feature count matches or is -1', () => {
    expect(planTable('m', matrix, undefined, 3)).toEqual({ kind: 'matrix', input: matrix[0] });
    expect(refusal(() => planTable('m', matrix, undefined, 2))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: "invalid request: input 'x' takes 3 features per row, the table has 2 columns",
    });
  });

  it('plans columns for 1-D and [-1, 1] inputs, one column each', () => {
    expect(planTable('m', columns, ['b', 'a'], 2)).toEqual({ kind: 'columns', order: [1, 0] });
    expect(planTable('m', columns, undefined, 2)).toEqual({ kind: 'columns', order: [0, 1] });
    const one: TensorMetadata[] = [{ name: 'v', datatype: 'FP32', shape: [-1, 1] }];
    expect(planTable('m', one, undefined, 1)).toEqual({ kind: 'matrix', input: one[0] });
    const single: TensorMetadata[] = [{ name: 'v', datatype: 'FP32', shape: [-1] }];
    expect(planTable('m', single, ['v'], 1)).toEqual({ kind: 'columns', order: [0] });
    expect(refusal(() => planTable('m', columns, undefined, 3))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: "invalid request: model 'm' takes 2 inputs (a, b), the table has 3 columns",
    });
  });

  it('refuses models whose inputs make no table', () => {
    const mixed: TensorMetadata[] = [{ name: 'a', datatype: 'FP32', shape: [-1] }, { name: 'img', datatype: 'FP32', shape: [-1, 2, 2] }];
    expect(refusal(() => planTable('m', mixed, undefined, 2))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL',
      message: "model 'm': a table maps onto one 1-D input per column or onto a single 2-D input; this model takes a [-1], img [-1,2,2]",
    });
    const twoMatrices: TensorMetadata[] = [{ name: 'p', datatype: 'FP32', shape: [-1, 2] }, { name: 'q', datatype: 'FP32', shape: [-1, 2] }];
    expect(refusal(() => planTable('m', twoMatrices, undefined, 2)).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(refusal(() => planTable('m', [{ name: 'img', datatype: 'FP32', shape: [-1, 2, 2] }], undefined, 4)).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(refusal(() => planTable('m', [{ name: 's', datatype: 'FP32', shape: [] }], undefined, 1)).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    const deep: TensorMetadata[] = [{ name: 'a', datatype: 'FP32', shape: [-1] }, { name: 'c', datatype: 'FP32', shape: [-1, 1, 4] }];
    expect(refusal(() => planTable('m', deep, undefined, 2)).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
  });
});

describe('cellFor', () => {
  it('reads CSV text by datatype', () => {
    expect(cellFor('FP32', ' ', true)).toBe(null);
    expect(cellFor('FP32', '', true)).toBe(null);
    expect(cellFor('FP32', '-1.5', true)).toBe(-1.5);
    expect(cellFor('FP32', '12.5', true)).toBe(12.5);
    expect(cellFor('FP32', '.25', true)).toBe(0.25);
    expect(cellFor('FP32', '1e10', true)).toBe(1e10);
    expect(cellFor('FP32', '+.5e-1', true)).toBe(0.05);
    expect(cellFor('FP32', '3.', true)).toBe(3);
    expect(cellFor('FP32', ' 2E3 ', true)).toBe(2000);
    expect(cellFor('FP32', ' nan ', true)).toBe('nan');
    expect(cellFor('FP32', '1e', true)).toBe('1e');
    expect(cellFor('FP32', '1.2.3', true)).toBe('1.2.3');
    expect(cellFor('INT64', ' -9223372036854775808 ', true)).toBe(-9223372036854775808n);
    expect(cellFor('UINT64', '+18446744073709551615', true)).toBe(18446744073709551615n);
    expect(cellFor('INT64', '1.5', true)).toBe(1.5);
    expect(cellFor('INT32', '12', true)).toBe(12);
    for (const t of ['true', 'TRUE', '1', ' True ']) expect(cellFor('BOOL', t, true)).toBe(true);
    for (const t of ['false', 'False', '0', ' 0 ']) expect(cellFor('BOOL', t, true)).toBe(false);
    expect(cellFor('BOOL', 'yes', true)).toBe('yes');
    expect(cellFor('BOOL', '10', true)).toBe('10');
    expect(cellFor('BOOL', 'truex', true)).toBe('truex');
    expect(cellFor('BOOL', '01', true)).toBe('01');
    expect(cellFor('BOOL', 'xtrue', true)).toBe('xtrue');
    expect(cellFor('BOOL', 'falsey', true)).toBe('falsey');
    expect(cellFor('BOOL', '0x', true)).toBe('0x');
    expect(cellFor('BYTES', ' a ', true)).toBe(' a ');
    expect(cellFor('FP32', 5, true)).toBe(5);
  });

  it('leaves JSON cells to the tensor codec, except numbers and missing values for BYTES', () => {
    expect(cellFor('FP32', '1.5')).toBe('1.5');
    expect(cellFor('INT64', '7')).toBe('7');
    expect(cellFor('BYTES', 1.5)).toBe('1.5');
    expect(cellFor('BYTES', 2n ** 64n)).toBe('18446744073709551616');
    expect(cellFor('BYTES', false)).toBe('false');
    expect(cellFor('BYTES', null)).toBe('');
    expect(cellFor('BYTES', undefined)).toBe('');
    expect(cellFor('BYTES', 'x')).toBe('x');
    const object = { b64: 'AA==' };
    expect(cellFor('BYTES', object)).toBe(object);
    expect(cellFor('FP32', null)).toBe(null);
  });
});
