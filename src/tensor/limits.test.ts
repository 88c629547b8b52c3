import { describe, expect, it } from 'vitest';
import { checkShape, checkSpan, DEFAULT_SHAPE_LIMITS, shapeSpan, type ShapeLimits } from './limits.ts';

/** The catalogue code and message a call throws, or 'no error'. */
function refusal(run: () => unknown): { code: string; message: string } | 'no error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
}

const invalid = (shape: string) => ({ code: 'FERRY_ERR_SHAPE_INVALID', message: `tensor 'x' has an invalid shape ${shape}` });

describe('checkShape', () => {
  it('defaults to 32 dimensions and 2^26 elements', () => {
    expect(DEFAULT_SHAPE_LIMITS).toEqual({ maxRank: 32, maxElements: 67108864 });
  });

  it('returns the shape it was given when it is valid, the empty shape included', () => {
    const shape = [2, 0, 3];
    expect(checkShape('x', shape)).toBe(shape);
    expect(checkShape('x', [])).toEqual([]);
    expect(checkShape('x', [0])).toEqual([0]);
  });

  it('takes exactly max_rank dimensions and refuses one more', () => {
    expect(checkShape('x', new Array(32).fill(1))).toHaveLength(32);
    expect(refusal(() => checkShape('x', new Array(33).fill(1)))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'x' has 33 dimensions, which exceeds the limit of 32 dimensions (setting: limits.max_rank)",
    });
    const limits: ShapeLimits = { maxRank: 2, maxElements: 100 };
    expect(checkShape('x', [3, 4], limits)).toEqual([3, 4]);
    expect(refusal(() => checkShape('x', [1, 1, 1], limits))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'x' has 3 dimensions, which exceeds the limit of 2 dimensions (setting: limits.max_rank)",
    });
  });

  it('takes a span equal to max_elements, counting zero dimensions as one, and refuses one more', () => {
    const limits: ShapeLimits = { maxRank: 4, maxElements: 6 };
    expect(checkShape('x', [2, 3], limits)).toEqual([2, 3]);
    expect(checkShape('x', [0, 6, 0], limits)).toEqual([0, 6, 0]);
    expect(refusal(() => checkShape('x', [0, 7], limits))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'x' of shape [0,7] spans 7 elements (a zero dimension counted as one), which exceeds the limit of 6 elements (setting: limits.max_elements)",
    });
    expect(refusal(() => checkShape('x', [7], limits))).not.toBe('no error');
  });

  it('takes the largest dimension the default allows, 2^26, and refuses a billion rows of nothing', () => {
    expect(checkShape('x', [2 ** 26])).toEqual([67108864]);
    expect(checkShape('x', [1, 2 ** 26, 0])).toEqual([1, 67108864, 0]);
    expect(refusal(() => checkShape('x', [2 ** 26 + 1]))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'x' of shape [67108865] spans 67108865 elements (a zero dimension counted as one), which exceeds the limit of 67108864 elements (setting: limits.max_elements)",
    });
    expect(refusal(() => checkShape('x', [1_000_000_000, 0]))).toMatchObject({ code: 'FERRY_ERR_LIMIT_EXCEEDED' });
  });

  it('takes the largest safe integer as a dimension and refuses 2^53', () => {
    const limits: ShapeLimits = { maxRank: 4, maxElements: Number.MAX_SAFE_INTEGER };
    expect(checkShape('x', [Number.MAX_SAFE_INTEGER], limits)).toEqual([9007199254740991]);
    expect(refusal(() => checkShape('x', [2 ** 53], limits))).toEqual(invalid('[9007199254740992]'));
  });

  it('refuses dimensions that are not non-negative safe integers', () => {
    expect(refusal(() => checkShape('x', [2, -1]))).toEqual(invalid('[2,-1]'));
    expect(refusal(() => checkShape('x', [2.5]))).toEqual(invalid('[2.5]'));
    expect(refusal(() => checkShape('x', [1e300]))).toEqual(invalid('[1e+300]'));
    expect(refusal(() => checkShape('x', [NaN]))).toEqual(invalid('[NaN]'));
    expect(refusal(() => checkShape('x', ['3']))).toEqual(invalid('["3"]'));
    expect(refusal(() => checkShape('x', [3n]))).toEqual(invalid('[3]'));
    expect(refusal(() => checkShape('x', [null, undefined]))).toEqual(invalid('[null,undefined]'));
    expect(refusal(() => checkShape('x', [[1]]))).toEqual(invalid('[[1]]'));
  });

  it('refuses a shape that is not a list, written as JSON where it can be', () => {
    expect(refusal(() => checkShape('x', '2,3'))).toEqual(invalid('"2,3"'));
    expect(refusal(() => checkShape('x', { 0: 2 }))).toEqual(invalid('{"0":2}'));
    expect(refusal(() => checkShape('x', 4))).toEqual(invalid('4'));
    expect(refusal(() => checkShape('x', undefined))).toEqual(invalid('undefined'));
    expect(refusal(() => checkShape('x', 5n))).toEqual(invalid('5'));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(refusal(() => checkShape('x', cyclic))).toEqual(invalid('[object Object]'));
  });

  it('writes at most 16 dimensions and 64 characters of a shape into the error', () => {
    expect(refusal(() => checkShape('x', [...new Array(16).fill(1), -1]))).toEqual(invalid(`[${new Array(16).fill(1).join(',')}]`));
    // '["' + 60 characters + '"]' is 64 characters: kept whole; one more is cut to 63 and an ellipsis.
    expect(refusal(() => checkShape('x', ['a'.repeat(60)]))).toEqual(invalid(`["${'a'.repeat(60)}"]`));
    expect(refusal(() => checkShape('x', ['a'.repeat(61)]))).toEqual(invalid(`["${'a'.repeat(61)}…`));
  });
});

describe('checkSpan and shapeSpan', () => {
  it('counts zero dimensions as one', () => {
    expect(shapeSpan([])).toBe(1);
    expect(shapeSpan([0])).toBe(1);
    expect(shapeSpan([2, 0, 3])).toBe(6);
    expect(shapeSpan([4, 5])).toBe(20);
  });

  it('takes a span equal to the limit and refuses one more', () => {
    const limits: ShapeLimits = { maxRank: 2, maxElements: 12 };
    expect(checkSpan('t', [3, 4], 12, limits)).toBeUndefined();
    expect(refusal(() => checkSpan('t', [13, 1], 13, limits))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 't' of shape [13,1] spans 13 elements (a zero dimension counted as one), which exceeds the limit of 12 elements (setting: limits.max_elements)",
    });
  });
});
