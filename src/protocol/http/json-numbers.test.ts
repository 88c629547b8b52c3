import { describe, expect, it } from 'vitest';
import { formatG, pythonFloat, tfServingFloat } from './json-numbers.ts';

// Expected strings were printed by CPython 3 (repr) and by C's printf through Python's '%g' with numpy float32
// round-trips, i.e. TF Serving's WriteDecimal rule, not by this code.
describe('pythonFloat is repr(float)', () => {
  const cases: [number, string][] = [
    [3.0, '3.0'], [3.5, '3.5'], [0.1, '0.1'], [1e16, '1e+16'], [1.5e-5, '1.5e-05'], [0.0001, '0.0001'],
    [123456789.5, '123456789.5'], [-0.0, '-0.0'], [1e-7, '1e-07'], [2.5e300, '2.5e+300'], [1 / 3, '0.3333333333333333'],
    [9007199254740992, '9007199254740992.0'], [5e-324, '5e-324'], [NaN, 'NaN'], [-Infinity, '-Infinity'],
  ];
  for (const [value, text] of cases) it(`${value} → ${text}`, () => expect(pythonFloat(value)).toBe(text));
});

describe('tfServingFloat is TF Serving WriteDecimal', () => {
  const single: [number, string][] = [
    [3.0, '3.0'], [3.5, '3.5'], [0.10000000149011612, '0.1'], [9000000.0, '9e+06'], [2.9999999242136255e-05, '3e-05'],
    [1435774336.0, '1.43577434e+09'], [2.049999952316284, '2.05'], [0.3333333432674408, '0.333333343'],
    [9.99994610111476e-41, '9.99995e-41'], [-2.5, '-2.5'], [123456.703125, '123456.703'], [Infinity, 'Infinity'],
  ];
  for (const [value, text] of single) it(`float ${value} → ${text}`, () => expect(tfServingFloat(value, true)).toBe(text));
  const double: [number, string][] = [
    [1 / 3, '0.33333333333333331'], [0.1, '0.1'], [1e22, '1e+22'], [2.5, '2.5'], [-7.0, '-7.0'], [1e-5, '1e-05'], [NaN, 'NaN'],
  ];
  for (const [value, text] of double) it(`double ${value} → ${text}`, () => expect(tfServingFloat(value, false)).toBe(text));
});

describe('formatG is C\'s %g', () => {
  // Expected strings are C printf's ('%.6g' % v, '%.9g' % v in Python).
  const cases: [number, number, string][] = [
    [0, 6, '0'], [-0, 6, '-0'], [100000, 6, '100000'], [1e6, 6, '1e+06'], [0.0001, 6, '0.0001'], [0.00001, 6, '1e-05'],
    [123456789, 6, '1.23457e+08'], [1.5, 6, '1.5'], [-2.25e-7, 6, '-2.25e-07'], [1234567, 9, '1234567'], [1e100, 6, '1e+100'],
  ];
  for (const [value, precision, text] of cases) it(`%.${precision}g of ${value} → ${text}`, () => expect(formatG(value, precision)).toBe(text));
});

describe('tfServingFloat whole numbers', () => {
  const cases: [number, boolean, string][] = [
    [0, true, '0.0'], [-0, true, '-0.0'], [999999, true, '999999.0'], [1e6, true, '1e+06'], [1234567, true, '1234567.0'],
    [-1234567, false, '-1234567.0'], [Infinity, false, 'Infinity'], [-Infinity, true, '-Infinity'],
  ];
  for (const [value, single, text] of cases) it(`${single ? 'float' : 'double'} ${value} → ${text}`, () => expect(tfServingFloat(value, single)).toBe(text));
});
