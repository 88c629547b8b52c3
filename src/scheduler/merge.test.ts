import { describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { ModelSignature } from '../runtimes/runtime.ts';
import type { Datatype, InferRequest, Tensor, TensorData } from '../tensor/index.ts';
import { mergeRequests } from './concat.ts';
import { mergeKey, requestRows } from './merge-key.ts';
import { splitResult } from './split.ts';

const utf8 = new TextEncoder();

/** Each datatype's storage built from plain JS values, so expectations never come from the code under test. */
const SAMPLES: Record<Datatype, { make(values: number[]): TensorData; plain(data: TensorData): unknown[] }> = {
  BOOL: { make: (v) => Uint8Array.from(v, (n) => n % 2), plain: (d) => Array.from(d as Uint8Array) },
  UINT8: { make: (v) => Uint8Array.from(v), plain: (d) => Array.from(d as Uint8Array) },
  UINT16: { make: (v) => Uint16Array.from(v, (n) => n * 1000), plain: (d) => Array.from(d as Uint16Array) },
  UINT32: { make: (v) => Uint32Array.from(v, (n) => n * 100000), plain: (d) => Array.from(d as Uint32Array) },
  UINT64: { make: (v) => BigUint64Array.from(v, (n) => 2n ** 63n + BigInt(n)), plain: (d) => Array.from(d as BigUint64Array) },
  INT8: { make: (v) => Int8Array.from(v, (n) => -n), plain: (d) => Array.from(d as Int8Array) },
  INT16: { make: (v) => Int16Array.from(v, (n) => -n * 300), plain: (d) => Array.from(d as Int16Array) },
  INT32: { make: (v) => Int32Array.from(v, (n) => -n * 70000), plain: (d) => Array.from(d as Int32Array) },
  INT64: { make: (v) => BigInt64Array.from(v, (n) => -(2n ** 62n) - BigInt(n)), plain: (d) => Array.from(d as BigInt64Array) },
  FP16: { make: (v) => Uint16Array.from(v, (n) => 0x3c00 + n), plain: (d) => Array.from(d as Uint16Array) },
  BF16: { make: (v) => Uint16Array.from(v, (n) => 0x3f80 + n), plain: (d) => Array.from(d as Uint16Array) },
  FP32: { make: (v) => Float32Array.from(v, (n) => n + 0.5), plain: (d) => Array.from(d as Float32Array) },
  FP64: { make: (v) => Float64Array.from(v, (n) => n / 3), plain: (d) => Array.from(d as Float64Array) },
  BYTES: { make: (v) => v.map((n) => utf8.encode(`s${n}`)), plain: (d) => (d as Uint8Array[]).map((b) => new TextDecoder().decode(b)) },
};

const signature: ModelSignature = { platform: 'test', inputs: [], outputs: [] };

function request(datatype: Datatype, rows: number, width: number, start: number): InferRequest {
  const values = Array.from({ length: rows * width }, (_, i) => start + i);
  return { inputs: [{ name: 'in', datatype, shape: [rows, width], data: SAMPLES[datatype].make(values) }] };
}

describe('merge along dimension 0, split back', () => {
  for (const datatype of Object.keys(SAMPLES) as Datatype[]) {
    it(`concatenates and splits ${datatype}`, () => {
      const parts = [request(datatype, 2, 3, 0), request(datatype, 1, 3, 6), request(datatype, 3, 3, 9)];
      expect(new Set(parts.map(mergeKey)).size).toBe(1);
      const rows = parts.map((p) => requestRows(p)!);
      const merged = mergeRequests(parts, rows);
      const tensor = merged.inputs[0]!;
      expect(tensor.shape).toEqual([6, 3]);
      expect(tensor.datatype).toBe(datatype);
      const expected = SAMPLES[datatype].plain(SAMPLES[datatype].make(Array.from({ length: 18 }, (_, i) => i)));
      expect(SAMPLES[datatype].plain(tensor.data)).toEqual(expected);
      expect(tensor.data.constructor).toBe(parts[0]!.inputs[0]!.data.constructor);

      // The model "echoes" its input: each request must get back exactly its own rows.
      const split = splitResult({ outputs: [{ ...tensor, name: 'out' }] }, rows, signature, 'm');
      split.forEach((result, i) => {
        const own = parts[i]!.inputs[0]!;
        expect(result.outputs[0]!.shape).toEqual(own.shape);
        expect(SAMPLES[datatype].plain(result.outputs[0]!.data)).toEqual(SAMPLES[datatype].plain(own.data));
      });
    });
  }

  it('slices numeric outputs as views of the merged result (no copy)', () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const [a, b] = splitResult({ outputs: [{ name: 'y', datatype: 'FP32', shape: [3, 2], data }] }, [1, 2], signature, 'm');
    expect((a!.outputs[0]!.data as Float32Array).buffer).toBe(data.buffer);
    expect(Array.from(b!.outputs[0]!.data as Float32Array)).toEqual([3, 4, 5, 6]);
  });

  it('merges 0-row requests and gives them 0-row outputs', () => {
    const parts = [request('FP32', 0, 2, 0), request('FP32', 2, 2, 10), request('FP32', 0, 2, 0)];
    const rows = parts.map((p) => requestRows(p)!);
    expect(rows).toEqual([0, 2, 0]);
    const merged = mergeRequests(parts, rows);
    expect(merged.inputs[0]!.shape).toEqual([2, 2]);
    expect(Array.from(merged.inputs[0]!.data as Float32Array)).toEqual([10.5, 11.5, 12.5, 13.5]);
    const split = splitResult({ outputs: [merged.inputs[0]!] }, rows, signature, 'm');
    expect(split.map((r) => r.outputs[0]!.shape)).toEqual([[0, 2], [2, 2], [0, 2]]);
    expect(split[0]!.outputs[0]!.data.length).toBe(0);
  });

  it('copies outputs without a batch dimension to every request', () => {
    const scalar: Tensor = { name: 'total', datatype: 'FP64', shape: [], data: Float64Array.of(42) };
    const perBatch: Tensor = { name: 'summary', datatype: 'INT32', shape: [2], data: Int32Array.of(7, 8) };
    const fixed: Tensor = { name: 'labels', datatype: 'BYTES', shape: [3], data: [utf8.encode('a'), utf8.encode('b'), utf8.encode('c')] };
    const sig: ModelSignature = { platform: 't', inputs: [], outputs: [{ name: 'labels', datatype: 'BYTES', shape: [3] }] };
    // 3 rows in all: 'labels' has dim 0 = 3 too, but the signature fixes that dimension, so it is not per row.
    const split = splitResult({ outputs: [scalar, perBatch, fixed], parameters: { p: 1 } }, [1, 2], sig, 'm');
    for (const result of split) {
      expect(result.outputs[0]).toBe(scalar);
      expect(result.outputs[1]).toBe(perBatch);
      expect(result.outputs[2]).toBe(fixed);
      expect(result.parameters).toEqual({ p: 1 });
    }
  });

  it('refuses a batched output whose data does not fill its shape', () => {
    const bad: Tensor = { name: 'y', datatype: 'FP32', shape: [3, 2], data: new Float32Array(5) };
    let caught: unknown;
    try {
      splitResult({ outputs: [bad] }, [1, 2], signature, 'm');
    } catch (error) {
      caught = error;
    }
    expect(isFerryError(caught) && caught.code).toBe('FERRY_ERR_EXECUTION_FAILED');
  });

  it('asks the merged request for the union of requested outputs, or all when one asks for all', () => {
    const a = { ...request('FP32', 1, 2, 0), outputs: [{ name: 'y' }] };
    const b = { ...request('FP32', 1, 2, 0), outputs: [{ name: 'z' }, { name: 'y' }] };
    const c = request('FP32', 1, 2, 0);
    expect(mergeRequests([a, b], [1, 1]).outputs?.map((o) => o.name)).toEqual(['y', 'z']);
    expect(mergeRequests([a, c], [1, 1]).outputs).toBeUndefined();
  });
});

describe('merge key and rows', () => {
  const base = request('FP32', 2, 3, 0);
  it('keeps apart requests that differ in trailing shape, datatype, names, input order or parameters', () => {
    const key = mergeKey(base);
    expect(mergeKey(request('FP32', 5, 3, 0))).toBe(key); // dimension 0 is free
    expect(mergeKey(request('FP32', 2, 4, 0))).not.toBe(key);
    expect(mergeKey(request('FP64', 2, 3, 0))).not.toBe(key);
    expect(mergeKey({ inputs: [{ ...base.inputs[0]!, name: 'other' }] })).not.toBe(key);
    expect(mergeKey({ ...base, parameters: { threshold: 0.5 } })).not.toBe(key);
    expect(mergeKey({ ...base, parameters: { threshold: 0.5 } })).toBe(mergeKey({ ...base, parameters: { threshold: 0.5 } }));
    expect(mergeKey({ ...base, parameters: { threshold: '0.5' } })).not.toBe(mergeKey({ ...base, parameters: { threshold: 0.5 } }));
    const x = base.inputs[0]!;
    const y = { ...x, name: 'y' };
    expect(mergeKey({ inputs: [x, y] })).not.toBe(mergeKey({ inputs: [y, x] }));
    expect(mergeKey({ inputs: [{ ...x, shape: [2, 3, 1] }] })).not.toBe(key);
  });

  it('ignores binary_data_size, which only describes the wire encoding', () => {
    const a = { inputs: [{ ...base.inputs[0]!, parameters: { binary_data_size: 24 } }] };
    const b = { inputs: [{ ...base.inputs[0]!, parameters: { binary_data_size: 48 } }] };
    expect(mergeKey(a)).toBe(mergeKey(b));
    expect(mergeKey(a)).toBe(mergeKey(base));
  });

  it('finds no rows for scalars, inputs that disagree on dimension 0, or no inputs', () => {
    expect(requestRows(base)).toBe(2);
    expect(requestRows({ inputs: [{ name: 's', datatype: 'FP32', shape: [], data: Float32Array.of(1) }] })).toBeUndefined();
    expect(requestRows({ inputs: [base.inputs[0]!, { ...request('FP32', 3, 3, 0).inputs[0]!, name: 'b' }] })).toBeUndefined();
    expect(requestRows({ inputs: [] })).toBeUndefined();
  });
});
