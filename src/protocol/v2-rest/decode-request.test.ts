// The V2 request decoder against bodies written out byte by byte from the binary tensor extension's layout: a
// JSON header of exactly Inference-Header-Content-Length bytes, then each input's raw little-endian bytes in order.
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { decodeInferRequest, isHeaderLengthText, parseHeaderLength } from './decode-request.ts';
import { DEFAULT_LIMITS } from '../http/limits.ts';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isFerryError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

const jsonOnly = Buffer.from('{"inputs":[{"name":"x","datatype":"INT32","shape":[2],"data":[7,-1]}]}');

describe('Inference-Header-Content-Length', () => {
  it('accepts a header length equal to the body length: the whole body is the JSON header', () => {
    const request = decodeInferRequest(jsonOnly, jsonOnly.length);
    expect(Array.from(request.inputs[0]!.data as Int32Array)).toEqual([7, -1]);
  });

  it('refuses a header length one byte past the body', () => {
    expect(codeOf(() => decodeInferRequest(jsonOnly, jsonOnly.length + 1))).toBe('FERRY_ERR_BINARY_HEADER');
  });

  it('reads a header one byte short of the body as JSON plus one unclaimed byte, and refuses it', () => {
    const body = Buffer.concat([jsonOnly, Buffer.from([0x20])]);
    expect(codeOf(() => decodeInferRequest(body, jsonOnly.length))).toBe('FERRY_ERR_BINARY_HEADER');
    expect(Array.from(decodeInferRequest(body, body.length).inputs[0]!.data as Int32Array)).toEqual([7, -1]);
  });

  it('decodes raw tensors from hand-written little-endian bytes, in input order', () => {
    const header = Buffer.from(
      '{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},'
      + '{"name":"b","datatype":"INT16","shape":[1,2],"parameters":{"binary_data_size":4}},'
      + '{"name":"c","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]}',
    );
    const raw = Buffer.from([
      0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, // FP32 1.0, -2.5
      0x01, 0x02, 0xff, 0xff, // INT16 0x0201 = 513, -1
      0x02, 0x00, 0x00, 0x00, 0x68, 0x69, // BYTES "hi": 4-byte LE length, then the bytes
      0x01, 0x00, 0x00, 0x00, 0x21, // BYTES "!"
    ]);
    const request = decodeInferRequest(Buffer.concat([header, raw]), header.length);
    const [a, b, c] = request.inputs;
    expect(Array.from(a!.data as Float32Array)).toEqual([1, -2.5]);
    expect(b!.shape).toEqual([1, 2]);
    expect(Array.from(b!.data as Int16Array)).toEqual([513, -1]);
    expect((c!.data as Uint8Array[]).map((e) => Buffer.from(e).toString())).toEqual(['hi', '!']);
    // binary_data_size is the transport's: it is not passed on as a tensor parameter.
    expect(a!.parameters).toEqual({});
  });

  it('refuses a binary_data_size one byte past the binary part, and bytes no input claims', () => {
    const header = (size: number) => Buffer.from(`{"inputs":[{"name":"a","datatype":"UINT8","shape":[3],"parameters":{"binary_data_size":${size}}}]}`);
    const raw = Buffer.from([1, 2, 3]);
    expect(Array.from(decodeInferRequest(Buffer.concat([header(3), raw]), header(3).length).inputs[0]!.data as Uint8Array)).toEqual([1, 2, 3]);
    expect(codeOf(() => decodeInferRequest(Buffer.concat([header(4), raw]), header(4).length))).toBe('FERRY_ERR_BINARY_HEADER');
    expect(codeOf(() => decodeInferRequest(Buffer.concat([header(2), raw]), header(2).length))).not.toBe('no error');
  });
});

describe('tensor boundaries', () => {
  const request = (shape: string, data: string, datatype = 'FP32') => Buffer.from(`{"inputs":[{"name":"x","datatype":"${datatype}","shape":${shape},"data":${data}}]}`);

  it('accepts empty and one-element tensors', () => {
    expect(decodeInferRequest(request('[0]', '[]'), undefined).inputs[0]!.data).toHaveLength(0);
    expect(decodeInferRequest(request('[2,0,3]', '[]'), undefined).inputs[0]!.shape).toEqual([2, 0, 3]);
    expect(Array.from(decodeInferRequest(request('[1]', '[4.5]'), undefined).inputs[0]!.data as Float32Array)).toEqual([4.5]);
    expect(Array.from(decodeInferRequest(request('[]', '[4.5]'), undefined).inputs[0]!.data as Float32Array)).toEqual([4.5]);
  });

  it('accepts 32 dimensions and refuses 33 (limits.max_rank)', () => {
    const ones = (n: number) => JSON.stringify(Array.from({ length: n }, () => 1));
    expect(decodeInferRequest(request(ones(32), '[1]'), undefined).inputs[0]!.shape).toHaveLength(32);
    expect(codeOf(() => decodeInferRequest(request(ones(33), '[1]'), undefined))).toBe('FERRY_ERR_LIMIT_EXCEEDED');
  });

  it('accepts a shape of 2^26 elements as a shape and refuses 2^26 + 1 (limits.max_elements)', () => {
    // 2^26 elements pass the shape check and are then refused because the body cannot hold them.
    expect(codeOf(() => decodeInferRequest(request(`[${2 ** 26}]`, '[1]'), undefined))).toBe('FERRY_ERR_ELEMENT_COUNT');
    expect(codeOf(() => decodeInferRequest(request(`[${2 ** 26 + 1}]`, '[1]'), undefined))).toBe('FERRY_ERR_LIMIT_EXCEEDED');
    expect(codeOf(() => decodeInferRequest(request('[-1]', '[1]'), undefined))).toBe('FERRY_ERR_SHAPE_INVALID');
  });
});

/** The catalogue code and message a call throws, or 'no error'. */
function refusal(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return `${code}: ${message}`;
  }
}
const json = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
const decodeJson = (body: unknown) => decodeInferRequest(json(body), undefined);
const input = (extra: Record<string, unknown> = {}) => ({ name: 'x', datatype: 'INT32', shape: [2], data: [7, -1], ...extra });
const invalid = (detail: string) => `FERRY_ERR_INVALID_REQUEST: invalid request: ${detail}`;
const binaryHeader = (detail: string) => `FERRY_ERR_BINARY_HEADER: binary tensor data: ${detail}`;

describe('parseHeaderLength', () => {
  it('reads a plain byte count of up to 12 digits, the first of repeated headers, and nothing when absent', () => {
    expect(parseHeaderLength(undefined)).toBeUndefined();
    expect(parseHeaderLength('0')).toBe(0);
    expect(parseHeaderLength('123456789012')).toBe(123456789012);
    expect(parseHeaderLength(['34', '5'])).toBe(34);
  });

  it('refuses anything else, quoting at most 20 characters of it', () => {
    for (const text of ['', 'x1', '1x', '-1', ' 1', '1.0', '1234567890123']) {
      expect(isHeaderLengthText(text), text).toBe(false);
      expect(refusal(() => parseHeaderLength(text)), text).toBe(binaryHeader(`Inference-Header-Content-Length '${text}' is not a byte count`));
    }
    expect(refusal(() => parseHeaderLength('a'.repeat(30)))).toBe(binaryHeader(`Inference-Header-Content-Length '${'a'.repeat(20)}' is not a byte count`));
  });
});

describe('V2 REST request structure', () => {
  it('decodes id, parameters, inputs and requested outputs, leaving out what is absent', () => {
    const request = decodeJson({
      id: 'r1', parameters: { p: 'v', n: 1.5, b: false },
      inputs: [input({ parameters: { content_type: 'np' } })],
      outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }],
    });
    expect(request).toStrictEqual({
      inputs: [{ name: 'x', datatype: 'INT32', shape: [2], data: Int32Array.of(7, -1), parameters: { content_type: 'np' } }],
      id: 'r1', parameters: { p: 'v', n: 1.5, b: false },
      outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }],
    });
    expect(decodeJson({ inputs: [input()], parameters: null, outputs: [{ name: 'y', parameters: null }] }))
      .toStrictEqual({ inputs: [{ name: 'x', datatype: 'INT32', shape: [2], data: Int32Array.of(7, -1) }], outputs: [{ name: 'y' }] });
    expect(Object.keys(decodeJson({ inputs: [input()] }))).toEqual(['inputs']);
    expect(decodeJson({ id: '', inputs: [input()] }).id).toBe('');
  });

  it('refuses a body that is not a JSON object, or not JSON', () => {
    expect(refusal(() => decodeJson('[]'))).toBe(invalid('the body must be a JSON object'));
    expect(refusal(() => decodeJson('null'))).toBe(invalid('the body must be a JSON object'));
    let parserMessage = '';
    try {
      JSON.parse('{"inputs":');
    } catch (error) {
      parserMessage = (error as Error).message;
    }
    expect(refusal(() => decodeJson('{"inputs":'))).toBe(`FERRY_ERR_MALFORMED_BODY: malformed request body: ${parserMessage}`);
    const deep = `{"inputs":${'['.repeat(DEFAULT_LIMITS.maxJsonDepth)}${']'.repeat(DEFAULT_LIMITS.maxJsonDepth)}}`;
    expect(refusal(() => decodeJson(deep))).toMatch(/^FERRY_ERR_LIMIT_EXCEEDED: the JSON body nests deeper than 100 levels/);
  });

  it('refuses an id that is not a string', () => {
    expect(refusal(() => decodeJson({ id: 5, inputs: [input()] }))).toBe(invalid("'id' must be a string"));
    expect(refusal(() => decodeJson({ id: null, inputs: [input()] }))).toBe(invalid("'id' must be a string"));
  });

  it('refuses missing, empty or non-list inputs, and inputs that are not objects', () => {
    for (const inputs of [undefined, [], {}, 'x']) {
      expect(refusal(() => decodeJson({ inputs })), JSON.stringify(inputs)).toBe(invalid("'inputs' must be a non-empty array"));
    }
    expect(refusal(() => decodeJson({ inputs: [input(), 5] }))).toBe(invalid('inputs[1] must be an object'));
    expect(refusal(() => decodeJson({ inputs: [input(), null] }))).toBe(invalid('inputs[1] must be an object'));
  });

  it('refuses an input without a non-empty string name', () => {
    for (const name of [undefined, '', 5]) {
      expect(refusal(() => decodeJson({ inputs: [input(), input({ name })] })), String(name)).toBe(invalid('inputs[1].name must be a non-empty string'));
    }
  });

  it('refuses an unknown datatype by name (at most 32 characters of it), and one that is not a string', () => {
    expect(refusal(() => decodeJson({ inputs: [input({ datatype: 'fp32' })] }))).toBe("FERRY_ERR_DATATYPE_UNKNOWN: unknown datatype 'fp32'");
    expect(refusal(() => decodeJson({ inputs: [input({ datatype: 'X'.repeat(40) })] }))).toBe(`FERRY_ERR_DATATYPE_UNKNOWN: unknown datatype '${'X'.repeat(32)}'`);
    expect(refusal(() => decodeJson({ inputs: [input(), input({ datatype: 32 })] }))).toBe(invalid('inputs[1].datatype must be a string'));
    expect(refusal(() => decodeJson({ inputs: [input({ datatype: undefined })] }))).toBe(invalid('inputs[0].datatype must be a string'));
  });

  it('refuses parameters that are not objects of strings, numbers and booleans', () => {
    expect(refusal(() => decodeJson({ inputs: [input(), input({ parameters: [] })] }))).toBe(invalid('inputs[1].parameters must be an object'));
    expect(refusal(() => decodeJson({ inputs: [input()], parameters: 'p' }))).toBe(invalid('parameters must be an object'));
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: [{ name: 'y', parameters: 1 }, { name: 'z', parameters: true }] })))
      .toBe(invalid('outputs[0].parameters must be an object'));
    for (const value of [{}, [], null]) {
      expect(refusal(() => decodeJson({ inputs: [input()], parameters: { ok: 1, p: value } })), JSON.stringify(value))
        .toBe("FERRY_ERR_PARAMETER_INVALID: parameter 'p': parameter values are strings, numbers or booleans");
    }
  });

  it('takes integer parameters up to 2^53 - 1 and refuses 2^53, read exactly or as a double', () => {
    expect(decodeJson({ inputs: [input()], parameters: { n: 2 ** 53 - 1, m: -(2 ** 53 - 1), f: -0.25 } }).parameters)
      .toEqual({ n: 9007199254740991, m: -9007199254740991, f: -0.25 });
    const tooBig = "FERRY_ERR_PARAMETER_INVALID: parameter 'n': integer parameters must lie within ±2^53";
    expect(refusal(() => decodeJson({ inputs: [input()], parameters: { n: 2 ** 53 } }))).toBe(tooBig);
    expect(refusal(() => decodeJson({ inputs: [input()], parameters: { n: -(2 ** 53) } }))).toBe(tooBig);
    // A body naming INT64 is read with exact integers: the long literal arrives as a bigint and is refused the same way.
    expect(refusal(() => decodeJson(`{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[1]}],"parameters":{"n":9007199254740993}}`))).toBe(tooBig);
  });

  it('refuses outputs that are not a list of named objects', () => {
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: { name: 'y' } }))).toBe(invalid("'outputs' must be an array"));
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: null }))).toBe(invalid("'outputs' must be an array"));
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: [{ name: 'y' }, {}] }))).toBe(invalid('outputs[1] must be an object with a name'));
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: ['y'] }))).toBe(invalid('outputs[0] must be an object with a name'));
    expect(refusal(() => decodeJson({ inputs: [input()], outputs: [{ name: 5 }] }))).toBe(invalid('outputs[0] must be an object with a name'));
    expect(decodeJson({ inputs: [input()], outputs: [] }).outputs).toEqual([]);
  });

  it('reads 64-bit integer data exactly beyond 2^53', () => {
    const request = decodeJson('{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":[9007199254740993,-9223372036854775808]}]}');
    expect(Array.from(request.inputs[0]!.data as BigInt64Array)).toEqual([9007199254740993n, -(2n ** 63n)]);
  });
});

describe('V2 REST tensor data', () => {
  it('refuses an input without data, and one that names a shared-memory region instead', () => {
    expect(refusal(() => decodeJson({ inputs: [input({ data: undefined })] })))
      .toBe("FERRY_ERR_TENSOR_DATA: tensor 'x': missing 'data' (or parameters.binary_data_size)");
    expect(refusal(() => decodeJson({ inputs: [input({ data: undefined, parameters: { shared_memory_region: 'r' } })] })))
      .toBe("FERRY_ERR_EXTENSION_UNSUPPORTED: shared memory is not supported by Ferry: input 'x' names a shared-memory region; send its data in the body");
    // With data in the body the parameter is only a parameter.
    expect(decodeJson({ inputs: [input({ parameters: { shared_memory_region: 'r' } })] }).inputs[0]!.parameters).toEqual({ shared_memory_region: 'r' });
  });

  it('refuses a shape with more elements than the body has bytes before allocating it, and reads one with as many', () => {
    const body = (n: number) => json({ inputs: [input({ shape: [n, 1], data: [1] })] });
    let n = 1;
    while (body(n).length !== n) n++;
    expect(refusal(() => decodeInferRequest(body(n), undefined))).toBe(`FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 1 elements, its shape [${n},1] needs ${n}`);
    expect(refusal(() => decodeInferRequest(body(n + 1), undefined)))
      .toBe(`FERRY_ERR_ELEMENT_COUNT: tensor 'x' has fewer elements, its shape [${n + 1},1] needs ${n + 1}`);
  });

  it('takes binary_data_size as a whole byte count, 0 included, and refuses anything else', () => {
    const header = Buffer.from('{"inputs":[{"name":"e","datatype":"FP32","shape":[0],"parameters":{"binary_data_size":0,"q":1}}]}');
    const empty = decodeInferRequest(header, header.length).inputs[0]!;
    expect(empty.data).toHaveLength(0);
    expect(empty.parameters).toEqual({ q: 1 });
    for (const size of ['"8"', '1.5', '-1', 'true']) {
      const bad = Buffer.from(`{"inputs":[{"name":"a","datatype":"UINT8","shape":[1],"parameters":{"binary_data_size":${size}}}]}`);
      expect(refusal(() => decodeInferRequest(Buffer.concat([bad, Buffer.from([1])]), bad.length)), size)
        .toBe(invalid('inputs[0].parameters.binary_data_size must be a byte count'));
    }
  });

  it('refuses binary_data_size without a binary header, or together with data', () => {
    const sized = { name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: 1 } };
    expect(refusal(() => decodeJson({ inputs: [sized] })))
      .toBe(binaryHeader("input 'a' has binary_data_size but the request has no Inference-Header-Content-Length"));
    const both = json({ inputs: [{ ...sized, data: [1] }] });
    expect(refusal(() => decodeInferRequest(Buffer.concat([both, Buffer.from([1])]), both.length))).toBe(invalid("input 'a' has both 'data' and binary_data_size"));
  });

  it('says how many bytes an input needs where, and how many bytes no input claims', () => {
    const header = json({ inputs: [
      { name: 'a', datatype: 'UINT8', shape: [2], parameters: { binary_data_size: 2 } },
      { name: 'b', datatype: 'UINT8', shape: [3], parameters: { binary_data_size: 3 } },
    ] });
    expect(refusal(() => decodeInferRequest(Buffer.concat([header, Buffer.from([1, 2, 3, 4])]), header.length)))
      .toBe(binaryHeader("input 'b' needs 3 bytes at offset 2, the binary part has 4"));
    const both = decodeInferRequest(Buffer.concat([header, Buffer.from([1, 2, 3, 4, 5])]), header.length);
    expect(both.inputs.map((t) => Array.from(t.data as Uint8Array))).toEqual([[1, 2], [3, 4, 5]]);
    expect(refusal(() => decodeInferRequest(Buffer.concat([header, Buffer.from([1, 2, 3, 4, 5, 6, 7])]), header.length)))
      .toBe(binaryHeader('2 bytes of binary data are not claimed by any input'));
    expect(refusal(() => decodeInferRequest(jsonOnly, jsonOnly.length + 1)))
      .toBe(binaryHeader(`Inference-Header-Content-Length ${jsonOnly.length + 1} is larger than the ${jsonOnly.length}-byte body`));
  });

  it('reads binary FP16, BF16, BOOL and BYTES with empty elements from their specified bytes', () => {
    const header = json({ inputs: [
      { name: 'h', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } },
      { name: 'g', datatype: 'BF16', shape: [1], parameters: { binary_data_size: 2 } },
      { name: 'b', datatype: 'BOOL', shape: [2], parameters: { binary_data_size: 2 } },
      { name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 9 } },
    ] });
    const raw = Buffer.from([
      0x00, 0x3c, 0x00, 0xc0, // FP16 1, -2
      0xc0, 0x7f, // BF16 NaN
      0x01, 0x00, // BOOL true, false
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x61, // BYTES "", "a"
    ]);
    const [h, g, b, s] = decodeInferRequest(Buffer.concat([header, raw]), header.length).inputs;
    expect(Array.from(h!.data as Uint16Array)).toEqual([0x3c00, 0xc000]);
    expect(Array.from(g!.data as Uint16Array)).toEqual([0x7fc0]);
    expect(Array.from(b!.data as Uint8Array)).toEqual([1, 0]);
    expect((s!.data as Uint8Array[]).map((e) => Array.from(e))).toEqual([[], [0x61]]);
  });
});
