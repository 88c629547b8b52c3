// Nested JSON lists as TF Serving's REST API and Seldon's ndarray send tensors: the shape is read from the lists
// themselves, ragged data is refused, BYTES take strings or {"b64": ...}.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { refusal, values } from '../test-support/refusal.ts';
import {
  decodeValues, denseShape, elementWriter, isBase64Object, isNamedObject, rowSize, tensorFromNested, type JsonStyle,
} from './nested-json.ts';

const small = { maxRank: 3, maxElements: 6 };
const nest = (depth: number): unknown => (depth === 0 ? 7 : [nest(depth - 1)]);

describe('isBase64Object and isNamedObject', () => {
  it('takes exactly one string key b64 as binary data, and any other object as named values', () => {
    expect(isBase64Object({ b64: 'AAE=' })).toBe(true);
    expect(isBase64Object({ b64: '' })).toBe(true);
    expect(isBase64Object({ b64: 1 })).toBe(false);
    expect(isBase64Object({ b64: 'AA==', x: 1 })).toBe(false);
    expect(isBase64Object({ x: 'AA==' })).toBe(false);
    expect(isBase64Object({})).toBe(false);
    expect(isBase64Object(['AA=='])).toBe(false);
    expect(isBase64Object(null)).toBe(false);
    expect(isBase64Object('AA==')).toBe(false);
    expect(isNamedObject({ a: 1 })).toBe(true);
    expect(isNamedObject({})).toBe(true);
    expect(isNamedObject({ b64: 'AA==' })).toBe(false);
    expect(isNamedObject({ b64: 3 })).toBe(true);
    expect(isNamedObject([{ a: 1 }])).toBe(false);
    expect(isNamedObject(null)).toBe(false);
  });
});

describe('denseShape', () => {
  it('reads the shape from the lists: a scalar has none, an empty list is [0]', () => {
    expect(denseShape('x', 5)).toEqual([]);
    expect(denseShape('x', [])).toEqual([0]);
    expect(denseShape('x', [[]])).toEqual([1, 0]);
    expect(denseShape('x', [3])).toEqual([1]);
    expect(denseShape('x', [[1, 2, 3], [4, 5, 6]])).toEqual([2, 3]);
    expect(denseShape('x', [[[1], [2]], [[3], [4]]])).toEqual([2, 2, 1]);
  });

  it('refuses ragged lists, naming where', () => {
    expect(refusal(() => denseShape('x', [[1, 2], [3]]))).toEqual({
      code: 'FERRY_ERR_TENSOR_DATA', message: "tensor 'x': not a dense tensor of shape [2,2]: value[1] has 1 elements, expected 2",
    });
    expect(refusal(() => denseShape('x', [[1], 2])).message).toBe(
      "tensor 'x': not a dense tensor of shape [2,1]: value[1] is a value where a list of 1 was expected",
    );
    expect(refusal(() => denseShape('x', [1, [2]])).message).toBe("tensor 'x': not a dense tensor of shape [2]: value[1] is a list where a value was expected");
    expect(refusal(() => denseShape('x', [[[1, 2]], [[3, 4, 5]]])).message).toBe(
      "tensor 'x': not a dense tensor of shape [2,1,2]: value[1][0] has 3 elements, expected 2",
    );
    expect(refusal(() => denseShape('x', [[], [1]])).message).toBe("tensor 'x': not a dense tensor of shape [2,0]: value[1] has 1 elements, expected 0");
  });

  it('takes nesting as deep as limits.max_rank and refuses one list deeper', () => {
    expect(denseShape('x', nest(3), small)).toEqual([1, 1, 1]);
    expect(refusal(() => denseShape('x', nest(4), small))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'x' nests deeper than 3 lists, which exceeds the limit of 3 dimensions (setting: limits.max_rank)",
    });
    expect(denseShape('x', nest(32))).toHaveLength(32);
    expect(refusal(() => denseShape('x', nest(33))).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });

  it('takes as many elements as limits.max_elements and refuses one more, before looking at the values', () => {
    expect(denseShape('x', [[1, 2, 3], [4, 5, 6]], small)).toEqual([2, 3]);
    expect(refusal(() => denseShape('x', [1, 2, 3, 4, 5, 6, 7], small)).message).toBe(
      "tensor 'x' of shape [7] spans 7 elements (a zero dimension counted as one), which exceeds the limit of 6 elements (setting: limits.max_elements)",
    );
    expect(refusal(() => denseShape('x', [[1, 2, 3, 4, 5, 6, 7], 8], small)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });
});

describe('tensorFromNested and decodeValues', () => {
  it('takes the datatype from the signature, not from the JSON', () => {
    const t = tensorFromNested('x', 'FP32', [[1, 2.5], [-3, 0]]);
    expect(t.name).toBe('x');
    expect(t.datatype).toBe('FP32');
    expect(t.shape).toEqual([2, 2]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(values(t.data)).toEqual([1, 2.5, -3, 0]);
    expect(values(tensorFromNested('x', 'INT32', 4).data)).toEqual([4]);
  });

  it('keeps INT64 beyond 2^53 exact when the JSON parser gave bigints', () => {
    const t = tensorFromNested('x', 'INT64', [2n ** 53n + 1n, -(2n ** 63n)]);
    expect(values(t.data)).toEqual([9007199254740993n, -9223372036854775808n]);
  });

  it('passes limits on to the shape check', () => {
    expect(refusal(() => tensorFromNested('x', 'FP32', nest(4), small)).code).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });

  it('reads BYTES from UTF-8 strings and {"b64": ...}, flattening nested lists', () => {
    const t = tensorFromNested('s', 'BYTES', [['é', { b64: 'AAH/' }], ['', { b64: '' }]]);
    expect(t.shape).toEqual([2, 2]);
    expect((t.data as Uint8Array[]).map((b) => Array.from(b))).toEqual([[0xc3, 0xa9], [0, 1, 255], [], []]);
    expect((t.data as Uint8Array[])[1]).toBeInstanceOf(Uint8Array);
    expect((decodeValues('s', 'BYTES', [], 'a') as Uint8Array[]).map((b) => Array.from(b))).toEqual([[97]]);
  });

  it('takes base64 with and without padding and refuses what is not base64', () => {
    for (const [text, bytes] of [['AA==', [0]], ['AA', [0]], ['AAE=', [0, 1]], ['AAE', [0, 1]], ['AAEC', [0, 1, 2]], ['+/8=', [251, 255]]] as const) {
      expect(Array.from((decodeValues('s', 'BYTES', [1], [{ b64: text }]) as Uint8Array[])[0]!)).toEqual(bytes);
    }
    for (const text of ['A', 'A===', 'AAAA=', 'AA=', 'AA-_', ' AA==', 'AA==\n']) {
      expect(refusal(() => decodeValues('s', 'BYTES', [1], [{ b64: text }]))).toEqual({
        code: 'FERRY_ERR_TENSOR_DATA', message: "tensor 's': a 'b64' value is not valid base64",
      });
    }
  });

  it('refuses BYTES elements that are not strings, saying what they are', () => {
    expect(refusal(() => decodeValues('s', 'BYTES', [1], [5]))).toEqual({ code: 'FERRY_ERR_TENSOR_DATA', message: "tensor 's': 5 is not a string (BYTES)" });
    expect(refusal(() => decodeValues('s', 'BYTES', [1], [null])).message).toBe("tensor 's': null is not a string (BYTES)");
    expect(refusal(() => decodeValues('s', 'BYTES', [1], [true])).message).toBe("tensor 's': true is not a string (BYTES)");
    expect(refusal(() => decodeValues('s', 'BYTES', [1], [{ b64: 'AA==', x: 1 }])).message).toBe(
      `tensor 's': an object other than {"b64": ...} is not a string (BYTES)`,
    );
    expect(refusal(() => decodeValues('s', 'BYTES', [1], ['\ud800'])).message).toBe(
      `tensor 's': a string holds a lone surrogate, which is not Unicode text; send binary data as {"b64": ...}`,
    );
  });

  it('refuses BYTES whose count is not the shape\'s', () => {
    expect(refusal(() => decodeValues('s', 'BYTES', [3], ['a', 'b']))).toEqual({
      code: 'FERRY_ERR_ELEMENT_COUNT', message: "tensor 's' has 2 elements, its shape [3] needs 3",
    });
    expect(refusal(() => decodeValues('s', 'BYTES', [2, 2], ['a', 'b', 'c'])).message).toBe("tensor 's' has 3 elements, its shape [2,2] needs 4");
    expect(decodeValues('s', 'BYTES', [0], [])).toEqual([]);
  });
});

describe('elementWriter', () => {
  const style: JsonStyle = { float: (v, d) => `${d}:${v}`, base64: (t) => t.name.endsWith('_b'), textAlternative: 'send it otherwise' };
  const writeAll = (tensor: Tensor) => {
    const write = elementWriter(tensor, style);
    return Array.from({ length: Array.isArray(tensor.data) ? tensor.data.length : (tensor.data as ArrayLike<unknown>).length }, (_, i) => write(i));
  };

  it('writes each datatype as JSON, floats through the protocol style', () => {
    expect(writeAll({ name: 'f', datatype: 'FP32', shape: [2], data: new Float32Array([0.5, -2]) })).toEqual(['FP32:0.5', 'FP32:-2']);
    expect(writeAll({ name: 'f', datatype: 'FP64', shape: [1], data: new Float64Array([0.1]) })).toEqual(['FP64:0.1']);
    expect(writeAll({ name: 'h', datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) })).toEqual(['FP16:1', 'FP16:-2']);
    expect(writeAll({ name: 'h', datatype: 'BF16', shape: [1], data: new Uint16Array([0x3fc0]) })).toEqual(['BF16:1.5']);
    expect(writeAll({ name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 2]) })).toEqual(['true', 'false', 'true']);
    expect(writeAll({ name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([2n ** 53n + 1n, -1n]) })).toEqual(['9007199254740993', '-1']);
    expect(writeAll({ name: 'u', datatype: 'UINT8', shape: [2], data: new Uint8Array([255, 0]) })).toEqual(['255', '0']);
  });

  it('writes BYTES as JSON strings, or as {"b64": ...} where the style says so', () => {
    const data = [new Uint8Array([0x61, 0x22]), new Uint8Array([])];
    expect(writeAll({ name: 's', datatype: 'BYTES', shape: [2], data })).toEqual(['"a\\""', '""']);
    expect(writeAll({ name: 's_b', datatype: 'BYTES', shape: [2], data })).toEqual(['{"b64":"YSI="}', '{"b64":""}']);
    const plain: JsonStyle = { float: String, textAlternative: 'x' };
    expect(elementWriter({ name: 's_b', datatype: 'BYTES', shape: [2], data }, plain)(0)).toBe('"a\\""');
  });

  it('refuses BYTES that are not UTF-8 text, naming the protocol\'s alternative', () => {
    const write = elementWriter({ name: 's', datatype: 'BYTES', shape: [2], data: [new Uint8Array([0x61]), new Uint8Array([0xff])] }, style);
    expect(refusal(() => write(1))).toEqual({
      code: 'FERRY_ERR_OUTPUT_NOT_TEXT', message: "output 's' element 1 is not UTF-8 text, and this answer writes it as a JSON string: send it otherwise",
    });
  });
});

describe('rowSize', () => {
  it('multiplies the dimensions after the first', () => {
    expect(rowSize([])).toBe(1);
    expect(rowSize([7])).toBe(1);
    expect(rowSize([7, 3])).toBe(3);
    expect(rowSize([7, 3, 2])).toBe(6);
    expect(rowSize([7, 0, 2])).toBe(0);
  });
});
