import { describe, expect, it } from 'vitest';
import { decodeInferRequest } from './decode-request.ts';
import { allocateBody, declaredHeaderLength, joinBody } from './join-body.ts';

/** A binary-extension body: a JSON header (with `spaces` trailing blanks), then `rows` x 4 FP32 values, cut into `pieces` chunks. */
function binaryRequest(rows: number, pieces: number, spaces = 1) {
  const values = Float32Array.from({ length: rows * 4 }, (_, i) => i * 0.5 - 3);
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 4], parameters: { binary_data_size: values.byteLength } }] }) + ' '.repeat(spaces));
  const whole = Buffer.concat([header, Buffer.from(values.buffer)]);
  const step = Math.ceil(whole.length / pieces);
  const chunks = Array.from({ length: pieces }, (_, i) => Buffer.from(whole.subarray(i * step, (i + 1) * step)));
  return { values, header, whole, chunks };
}

describe('joinBody', () => {
  it('lays a chunked binary body out so that its tensors decode in place, with the same bytes', () => {
    for (const spaces of [0, 1, 2, 3, 4, 5, 6, 7]) { // every header length modulo 8
      const { values, header, whole, chunks } = binaryRequest(64, 3, spaces);
      const headerLength = header.length;
      const body = joinBody(chunks, whole.length, headerLength);
      expect(body.equals(whole)).toBe(true);
      expect((body.byteOffset + headerLength) % 8).toBe(0);
      const decoded = decodeInferRequest(body, headerLength).inputs[0]!.data as Float32Array;
      expect(decoded.buffer).toBe(body.buffer); // a view, not a copy
      expect(Array.from(decoded)).toEqual(Array.from(values));
    }
  });

  it('returns a single chunk as it came and concatenates JSON bodies plainly', () => {
    const { chunks, whole } = binaryRequest(2, 1);
    expect(joinBody(chunks, whole.length, 10)).toBe(chunks[0]);
    const json = [Buffer.from('{"inputs":'), Buffer.from('[]}')];
    expect(joinBody(json, 13, undefined).toString()).toBe('{"inputs":[]}');
  });

  it('leaves a header length longer than the body for the decoder to refuse', () => {
    const chunks = [Buffer.from('{"a"'), Buffer.from(':1}')];
    const body = joinBody(chunks, 7, 500);
    expect(body.toString()).toBe('{"a":1}');
    expect(() => decodeInferRequest(body, 500)).toThrow(/larger than the 7-byte body/);
  });

  it('reads only a plain byte count from Inference-Header-Content-Length', () => {
    expect(declaredHeaderLength('120')).toBe(120);
    expect(declaredHeaderLength(undefined)).toBeUndefined();
    expect(declaredHeaderLength('12x')).toBeUndefined();
    expect(declaredHeaderLength(['1', '2'])).toBeUndefined();
    expect(declaredHeaderLength(['12'])).toBeUndefined();
  });
  it('pads a body only so far that its binary part starts 8-byte aligned', () => {
    for (const headerLength of [0, 1, 7, 8, 13]) {
      const body = allocateBody(13, headerLength);
      expect(body.length).toBe(13);
      expect((body.byteOffset + headerLength) % 8, String(headerLength)).toBe(0);
      expect(body.byteOffset).toBeLessThan(8);
    }
    expect(allocateBody(13, undefined).byteOffset).toBe(0);
    expect(allocateBody(13, 14).byteOffset).toBe(0);
  });
});
