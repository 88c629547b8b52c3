import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { cacheKey } from './cache-key.ts';

const utf8 = new TextEncoder();
const x: Tensor = { name: 'x', datatype: 'FP32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) };
const z: Tensor = { name: 'z', datatype: 'INT64', shape: [2], data: BigInt64Array.of(1n, 2n) };
const base: InferRequest = { inputs: [x, z] };
const key = (request: InferRequest, model = 'm', version = '1') => cacheKey(model, version, request);

describe('cacheKey', () => {
  it('is a SHA-256 digest (43 base64url characters) and stable for the same request', () => {
    expect(key(base)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const copy: InferRequest = { inputs: [{ ...x, data: Float32Array.of(1, 2, 3, 4, 5, 6) }, { ...z, data: BigInt64Array.of(1n, 2n) }] };
    expect(key(copy)).toBe(key(base));
  });

  it('changes with the model, the version, any data bit, the shape, the datatype or a parameter', () => {
    const k = key(base);
    const variants: InferRequest[] = [
      { inputs: [{ ...x, data: Float32Array.of(1, 2, 3, 4, 5, 6.000001) }, z] },
      { inputs: [{ ...x, shape: [3, 2] }, z] },
      { inputs: [{ ...x, datatype: 'INT32', data: new Int32Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) }, z] },
      { inputs: [{ ...x, name: 'x2' }, z] },
      { ...base, parameters: { threshold: 0.5 } },
      { ...base, outputs: [{ name: 'y' }] },
      { inputs: [x] },
    ];
    const keys = new Set([k, key(base, 'other'), key(base, 'm', '2'), ...variants.map((v) => key(v))]);
    expect(keys.size).toBe(3 + variants.length);
  });

  it('frames BYTES elements, so moving a byte between elements changes the key', () => {
    const a: InferRequest = { inputs: [{ name: 's', datatype: 'BYTES', shape: [2], data: [utf8.encode('ab'), utf8.encode('c')] }] };
    const b: InferRequest = { inputs: [{ name: 's', datatype: 'BYTES', shape: [2], data: [utf8.encode('a'), utf8.encode('bc')] }] };
    expect(key(a)).not.toBe(key(b));
  });

  it('ignores input order, output order and wire-encoding parameters', () => {
    expect(key({ inputs: [z, x] })).toBe(key(base));
    expect(key({ ...base, outputs: [{ name: 'a' }, { name: 'b' }] })).toBe(key({ ...base, outputs: [{ name: 'b' }, { name: 'a', parameters: { binary_data: true } }] }));
    expect(key({ inputs: [{ ...x, parameters: { binary_data_size: 24 } }, z], parameters: { binary_data_output: true } })).toBe(key(base));
  });

  it('hashes a view, not the whole buffer behind it', () => {
    const backing = Float32Array.of(9, 1, 2, 3, 4, 5, 6, 9);
    const view: InferRequest = { inputs: [{ ...x, data: backing.subarray(1, 7) }, z] };
    expect(key(view)).toBe(key(base));
  });

  it('matches an independent SHA-256 of the documented canonical bytes', () => {
    const request: InferRequest = { inputs: [{ name: 'x', datatype: 'UINT8', shape: [2], data: Uint8Array.of(7, 8) }] };
    const header = JSON.stringify(['ferry-cache-1', 'm', '1', [], [['x', 'UINT8', [2], [], 2]], null]);
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from(header), Buffer.from([7, 8])])).digest('base64url');
    expect(key(request)).toBe(expected);
  });
});
