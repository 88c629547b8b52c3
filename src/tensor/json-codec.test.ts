import { describe, expect, it } from 'vitest';
import type { Datatype } from './datatype.ts';
import { decodeJsonData, encodeJsonData } from './json-codec.ts';

const values = (datatype: Datatype, shape: number[], data: unknown) => Array.from(decodeJsonData('x', datatype, shape, data) as ArrayLike<unknown>);
const halfBits = (datatype: 'FP16' | 'BF16', data: unknown[]) => values(datatype, [data.length], data).map((b) => `0x${(b as number).toString(16)}`);
/** The catalogue message decoding throws, or 'no error'. */
function refusal(datatype: Datatype, shape: number[], data: unknown): string {
  try {
    decodeJsonData('x', datatype, shape, data);
    return 'no error';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return `${code}: ${message}`;
  }
}
const dataError = (detail: string) => `FERRY_ERR_TENSOR_DATA: tensor 'x': ${detail}`;
const nested = (levels: number) => JSON.parse(`${'['.repeat(levels)}1${']'.repeat(levels)}`) as unknown;

describe('decodeJsonData: element count and nesting', () => {
  it('takes a scalar for an empty shape, and no elements for a zero dimension', () => {
    expect(values('FP64', [], 2.5)).toEqual([2.5]);
    expect(values('FP32', [0], [])).toEqual([]);
    expect(values('BYTES', [2, 0], [[], []])).toEqual([]);
  });

  it('refuses missing data', () => {
    expect(refusal('FP32', [1], undefined)).toBe(dataError("missing 'data'"));
  });

  it('counts every element given, flat or nested, against the count the shape needs', () => {
    expect(refusal('FP32', [2], [1, 2, 3])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 3 elements, its shape [2] needs 2");
    expect(refusal('FP32', [3], [[1, 2], [3, 4]])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 4 elements, its shape [3] needs 3");
    expect(refusal('INT32', [2, 3], [[1, 2], [3, 4]])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 4 elements, its shape [2,3] needs 6");
    expect(refusal('FP32', [0], [1])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 1 elements, its shape [0] needs 0");
  });

  it('checks only the elements the shape has room for', () => {
    // The surplus element is counted, not read: the answer is about the count, not about "x".
    expect(refusal('FP32', [2], [1, 2, 'x'])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 3 elements, its shape [2] needs 2");
    expect(refusal('FP32', [2], [[1, 2], ['x']])).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 3 elements, its shape [2] needs 2");
  });

  it('reads lists inside a flat list in order', () => {
    expect(values('INT32', [4], [1, [2, 3], 4])).toEqual([1, 2, 3, 4]);
    expect(values('INT32', [2, 2], [[1, 2], [3, 4]])).toEqual([1, 2, 3, 4]);
  });

  it('reads a string as one element, not as its characters', () => {
    expect(refusal('FP32', [], 'abc')).toBe(dataError('"abc" is not a number'));
    expect(values('BYTES', [], 'abc').map((b) => new TextDecoder().decode(b as Uint8Array))).toEqual(['abc']);
  });

  it('takes data nested 66 lists deep and refuses 67, whether or not the outer list starts flat', () => {
    expect(values('FP32', [1], nested(66))).toEqual([1]);
    expect(refusal('FP32', [1], nested(67))).toBe(dataError('data nested deeper than 65 levels'));
    expect(values('FP32', [2], [0, nested(65)])).toEqual([0, 1]);
    expect(refusal('FP32', [2], [0, nested(66)])).toBe(dataError('data nested deeper than 65 levels'));
  });
});

describe('decodeJsonData: values per datatype', () => {
  it('takes true, false, 1 and 0 as BOOL and nothing else', () => {
    expect(values('BOOL', [4], [true, 1, false, 0])).toEqual([1, 1, 0, 0]);
    expect(refusal('BOOL', [1], [2])).toBe(dataError('2 is not a boolean'));
    expect(refusal('BOOL', [1], ['true'])).toBe(dataError('"true" is not a boolean'));
    expect(refusal('BOOL', [1], [null])).toBe(dataError('null is not a boolean'));
  });

  it('takes null and the spellings of NaN and the infinities as floats', () => {
    const special = [null, 'NaN', 'nan', 'Infinity', 'inf', '-Infinity', '-inf', 2n ** 62n + 1n];
    const expected = [NaN, NaN, NaN, Infinity, Infinity, -Infinity, -Infinity, 2 ** 62];
    expect(values('FP64', [8], special)).toEqual(expected);
    expect(values('FP32', [8], special)).toEqual(expected);
    expect(halfBits('FP16', [null, 'Infinity', '-inf', 1])).toEqual(['0x7e00', '0x7c00', '0xfc00', '0x3c00']);
    expect(halfBits('BF16', [null, 'inf', '-Infinity', 1])).toEqual(['0x7fc0', '0x7f80', '0xff80', '0x3f80']);
  });

  it('refuses other values as floats, naming them', () => {
    expect(refusal('FP32', [1], ['1.5'])).toBe(dataError('"1.5" is not a number'));
    expect(refusal('FP64', [1], ['-NaN'])).toBe(dataError('"-NaN" is not a number'));
    expect(refusal('FP16', [1], [true])).toBe(dataError('true is not a number'));
    expect(refusal('BF16', [1], [{ v: 1 }])).toBe(dataError('an object is not a number'));
  });

  it('quotes at most 40 characters of a refused string', () => {
    expect(refusal('FP32', [1], ['a'.repeat(40)])).toBe(dataError(`"${'a'.repeat(40)}" is not a number`));
    expect(refusal('FP32', [1], ['a'.repeat(41)])).toBe(dataError(`"${'a'.repeat(40)}…" is not a number`));
  });

  it('takes each 8/16/32-bit integer datatype up to its bounds and refuses one past them', () => {
    const bounds: [Datatype, number, number][] = [
      ['UINT8', 0, 255], ['UINT16', 0, 65535], ['UINT32', 0, 4294967295],
      ['INT8', -128, 127], ['INT16', -32768, 32767], ['INT32', -2147483648, 2147483647],
    ];
    for (const [datatype, min, max] of bounds) {
      expect(values(datatype, [2], [min, max]), datatype).toEqual([min, max]);
      expect(refusal(datatype, [1], [min - 1]), datatype).toBe(dataError(`${min - 1} is not within the range of ${datatype}`));
      expect(refusal(datatype, [1], [max + 1]), datatype).toBe(dataError(`${max + 1} is not within the range of ${datatype}`));
    }
  });

  it('refuses fractions, strings, null, objects and bigints as 8/16/32-bit integers', () => {
    expect(values('INT32', [1], [2.0])).toEqual([2]);
    expect(refusal('INT32', [1], [1.5])).toBe(dataError('1.5 is not an integer (INT32)'));
    expect(refusal('UINT8', [1], ['1'])).toBe(dataError('"1" is not an integer (UINT8)'));
    expect(refusal('INT16', [1], [null])).toBe(dataError('null is not an integer (INT16)'));
    expect(refusal('INT8', [1], [{}])).toBe(dataError('an object is not an integer (INT8)'));
    expect(refusal('INT32', [1], [true])).toBe(dataError('true is not an integer (INT32)'));
    expect(refusal('INT32', [1], [1n])).toBe(dataError('1 is not within the range of INT32'));
  });

  it('reads 64-bit integers at their bounds exactly, beyond 2^53 from bigints and decimal strings', () => {
    expect(values('INT64', [4], [-(2n ** 63n), '9223372036854775807', 2 ** 53 - 1, '-9007199254740993']))
      .toEqual([-(2n ** 63n), 2n ** 63n - 1n, 9007199254740991n, -9007199254740993n]);
    expect(values('UINT64', [2], [0, '18446744073709551615'])).toEqual([0n, 2n ** 64n - 1n]);
    expect(refusal('INT64', [1], ['-9223372036854775809'])).toBe(dataError('"-9223372036854775809" is not within the range of INT64'));
    expect(refusal('UINT64', [1], ['18446744073709551616'])).toBe(dataError('"18446744073709551616" is not within the range of UINT64'));
    expect(refusal('UINT64', [1], [-1n])).toBe(dataError('-1 is not within the range of UINT64'));
  });

  it('refuses 64-bit integers that are not whole decimal numbers or were rounded to a double', () => {
    expect(refusal('INT64', [1], [2 ** 53])).toBe(dataError('9007199254740992 is not an exact INT64: beyond 2^53 write an integer literal, without fraction or exponent'));
    expect(refusal('UINT64', [1], [1.5])).toBe(dataError('1.5 is not an integer (UINT64)'));
    expect(refusal('INT64', [1], [NaN])).toBe(dataError('NaN is not an integer (INT64)'));
    for (const text of ['12x', 'x12', '1.5', '1e3', '', '+1', '--1']) {
      expect(refusal('INT64', [1], [text]), text).toBe(dataError(`${JSON.stringify(text)} is not an integer (INT64)`));
    }
    expect(refusal('INT64', [1], [null])).toBe(dataError('null is not an integer (INT64)'));
  });

  it('takes strings and null as BYTES, and refuses anything else', () => {
    const bytes = values('BYTES', [4], ['', 'é', null, 'a\u0000b']) as Uint8Array[];
    expect(bytes.map((b) => Array.from(b))).toEqual([[], [0xc3, 0xa9], [], [0x61, 0x00, 0x62]]);
    expect(refusal('BYTES', [1], [5])).toBe(dataError('5 is not a string'));
    expect(refusal('BYTES', [1], [{}])).toBe(dataError('an object is not a string'));
    expect(refusal('BYTES', [1], ['a\ud800'])).toBe(dataError('"a\\ud800" is not well-formed Unicode text (it holds a lone surrogate)'));
  });
});

describe('encodeJsonData', () => {
  it('writes 64-bit integers as numbers up to ±(2^53 - 1) and as decimal strings beyond', () => {
    const int64 = BigInt64Array.of(9007199254740991n, -9007199254740991n, 9007199254740992n, -9007199254740992n, -(2n ** 63n));
    expect(encodeJsonData('INT64', int64)).toEqual([9007199254740991, -9007199254740991, '9007199254740992', '-9007199254740992', '-9223372036854775808']);
    expect(encodeJsonData('UINT64', BigUint64Array.of(0n, 2n ** 64n - 1n))).toEqual([0, '18446744073709551615']);
  });

  it('writes BOOL as booleans, FP16 and BF16 as numbers, BYTES as text', () => {
    expect(encodeJsonData('BOOL', Uint8Array.of(1, 0, 2))).toEqual([true, false, true]);
    expect(encodeJsonData('FP16', Uint16Array.of(0x3c00, 0xfc00, 0x0001))).toEqual([1, -Infinity, 2 ** -24]);
    expect(encodeJsonData('BF16', Uint16Array.of(0x3f81, 0xc000))).toEqual([1.0078125, -2]);
    expect(encodeJsonData('BYTES', [new Uint8Array(0), Uint8Array.of(0xc3, 0xa9)])).toEqual(['', 'é']);
    expect(encodeJsonData('FP32', new Float32Array(0))).toEqual([]);
  });

  it('refuses a BYTES element that is not UTF-8, naming its index', () => {
    expect(() => encodeJsonData('BYTES', [Uint8Array.of(0x61), Uint8Array.of(0xc3)])).toThrow(expect.objectContaining({
      code: 'FERRY_ERR_TENSOR_DATA',
      message: "tensor '': element 1 is not UTF-8 text",
    }));
  });
});
