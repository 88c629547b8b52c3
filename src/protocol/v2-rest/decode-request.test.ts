// The V2 request decoder against bodies written out byte by byte from the binary tensor extension's layout: a
// JSON header of exactly Inference-Header-Content-Length bytes, then each input's raw little-endian bytes in order.
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { decodeInferRequest } from './decode-request.ts';

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
