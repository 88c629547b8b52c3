// google.protobuf.Value (the jsonData of a gRPC SeldonMessage) to and from JSON values.
import { describe, expect, it } from 'vitest';
import { refusal } from '../test-support/refusal.ts';
import { fromList, fromValue, toList, toValue, type WireValue } from './values.ts';

const list = (...values: WireValue[]): WireValue => ({ kind: 'listValue', listValue: { values } });
const nested = (depth: number): WireValue => (depth === 0 ? { kind: 'numberValue', numberValue: 1 } : list(nested(depth - 1)));
const wrapped = (depth: number): unknown => (depth === 0 ? 1 : [wrapped(depth - 1)]);

describe('fromValue', () => {
  it('reads each kind, and a Value with no kind as null', () => {
    expect(fromValue({ kind: 'numberValue', numberValue: 2.5 }, 10)).toBe(2.5);
    expect(fromValue({ kind: 'stringValue', stringValue: 'a' }, 10)).toBe('a');
    expect(fromValue({ kind: 'boolValue', boolValue: false }, 10)).toBe(false);
    expect(fromValue({ kind: 'nullValue', nullValue: 0 }, 10)).toBe(null);
    expect(fromValue({}, 10)).toBe(null);
    expect(fromValue({ kind: 'structValue', structValue: { fields: { a: list({ kind: 'numberValue', numberValue: 1 }, {}), b: { kind: 'boolValue', boolValue: true } } } }, 10))
      .toEqual({ a: [1, null], b: true });
    expect(fromValue({ kind: 'structValue', structValue: null }, 10)).toEqual({});
    expect(fromValue({ kind: 'structValue', structValue: {} }, 10)).toEqual({});
    expect(fromValue({ kind: 'listValue', listValue: null }, 10)).toEqual([]);
    expect(fromValue({ kind: 'listValue', listValue: {} }, 10)).toEqual([]);
  });

  it('takes nesting as deep as max_json_depth and refuses one level deeper', () => {
    expect(fromValue(nested(3), 3)).toEqual(wrapped(3));
    expect(refusal(() => fromValue(nested(4), 3))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: 'invalid request: a google.protobuf.Value is nested deeper than 3 levels (limits.max_json_depth)',
    });
    const struct = (depth: number): WireValue => (depth === 0 ? {} : { kind: 'structValue', structValue: { fields: { k: struct(depth - 1) } } });
    expect(fromValue(struct(3), 3)).toEqual({ k: { k: { k: null } } });
    expect(refusal(() => fromValue(struct(4), 3)).code).toBe('FERRY_ERR_INVALID_REQUEST');
  });
});

describe('fromList', () => {
  it('reads a list\'s values at the depth given', () => {
    expect(fromList({ values: [{ kind: 'numberValue', numberValue: 1 }, nested(2)] }, 2)).toEqual([1, [[1]]]);
    expect(refusal(() => fromList({ values: [nested(3)] }, 2)).code).toBe('FERRY_ERR_INVALID_REQUEST');
    expect(fromList({ values: [nested(1)] }, 2, 1)).toEqual([[1]]);
    expect(refusal(() => fromList({ values: [nested(2)] }, 2, 1)).code).toBe('FERRY_ERR_INVALID_REQUEST');
    expect(fromList({}, 0)).toEqual([]);
  });
});

describe('toValue and toList', () => {
  it('writes each JSON value as its kind, bigints as numbers', () => {
    expect(toValue(null)).toEqual({ nullValue: 0 });
    expect(toValue(undefined)).toEqual({ nullValue: 0 });
    expect(toValue(0)).toEqual({ numberValue: 0 });
    expect(toValue(2n ** 53n + 2n)).toEqual({ numberValue: 9007199254740994 });
    expect(toValue('')).toEqual({ stringValue: '' });
    expect(toValue(false)).toEqual({ boolValue: false });
    expect(toValue([1, 'a'])).toEqual({ listValue: { values: [{ numberValue: 1 }, { stringValue: 'a' }] } });
    expect(toValue({ a: [null], b: {} })).toEqual({ structValue: { fields: { a: { listValue: { values: [{ nullValue: 0 }] } }, b: { structValue: { fields: {} } } } } });
    expect(toList([true, []])).toEqual({ values: [{ boolValue: true }, { listValue: { values: [] } }] });
  });
});
