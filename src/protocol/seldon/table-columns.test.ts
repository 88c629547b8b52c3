// The column names and rows of the one table several outputs make in a SeldonMessage answer.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { refusal } from '../test-support/refusal.ts';
import { columnNames, tableRowCount } from './table-columns.ts';

const tensor = (name: string, shape: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('columnNames', () => {
  it('names a 1-D output or one column by the output, the columns of a 2-D one name:i, and nothing beyond', () => {
    expect(columnNames(tensor('y', [3]))).toEqual(['y']);
    expect(columnNames(tensor('y', [3, 1]))).toEqual(['y']);
    expect(columnNames(tensor('p', [3, 3]))).toEqual(['p:0', 'p:1', 'p:2']);
    expect(columnNames(tensor('p', [3, 0]))).toEqual([]);
    expect(columnNames(tensor('s', []))).toEqual(['s']);
    expect(columnNames(tensor('img', [1, 2, 2]))).toEqual([]);
  });
});

describe('tableRowCount', () => {
  it('counts the rows shared by 1-D and 2-D outputs', () => {
    expect(tableRowCount('m', [tensor('y', [2]), tensor('p', [2, 3])])).toBe(2);
    expect(tableRowCount('m', [tensor('y', [0]), tensor('p', [0, 3])])).toBe(0);
  });

  it('refuses outputs of other ranks or other row counts, listing them', () => {
    expect(refusal(() => tableRowCount('m', [tensor('y', [2]), tensor('p', [3, 2])]))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL',
      message: "model 'm': outputs y [2], p [3,2] do not make one table (1-D or 2-D with the same rows); use the V2 protocol",
    });
    expect(refusal(() => tableRowCount('m', [tensor('y', [2]), tensor('img', [2, 2, 2])])).message).toContain('img [2,2,2]');
    expect(refusal(() => tableRowCount('m', [tensor('y', [1]), tensor('s', [])])).message).toContain('s []');
    expect(refusal(() => tableRowCount('m', [tensor('s', []), tensor('y', [1])])).code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(refusal(() => tableRowCount('m', [tensor('s', []), tensor('t', [])])).message).toBe(
      "model 'm': outputs s [], t [] do not make one table (1-D or 2-D with the same rows); use the V2 protocol",
    );
  });
});
