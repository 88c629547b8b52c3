// TF Serving's REST predict answers, written out by hand: row format `{"predictions": [...]}` (one entry per row,
// an object per row for several outputs), columnar `{"outputs": ...}`. Floats keep TF Serving's precision.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { DEFAULT_LIMITS } from '../http/limits.ts';
import { JsonSink } from '../http/json-sink.ts';
import { refusalOf } from '../test-support/refusal.ts';
import { encodePredict, TF_STYLE } from './predict-response.ts';
import type { PredictFormat } from './predict-request.ts';

async function encode(outputs: Tensor[], format: PredictFormat, sliceUsedUp = false): Promise<string> {
  const sink = new JsonSink(DEFAULT_LIMITS);
  // A sink whose slice of work is used up (8 ms) pauses at its first look at the clock: the encoder must wait for it.
  if (sliceUsedUp) await new Promise((resolve) => setTimeout(resolve, 20));
  await encodePredict('m', outputs, format, sink);
  return Buffer.concat(sink.finish().chunks).toString('utf8');
}

const scores: Tensor = { name: 'scores', datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.1, 0.9, 1, -0]) };
const label: Tensor = { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([2n ** 53n + 1n, -1n]) };

describe('encodePredict', () => {
  it('writes rows of a single output as a list of its rows', async () => {
    expect(await encode([scores], 'row')).toBe('{"predictions":[[0.1,0.9],[1.0,-0.0]]}');
    expect(await encode([label], 'row')).toBe('{"predictions":[9007199254740993,-1]}');
  });

  it('writes rows of several outputs as objects of named values', async () => {
    expect(await encode([scores, label], 'row')).toBe('{"predictions":[{"scores":[0.1,0.9],"label":9007199254740993},{"scores":[1.0,-0.0],"label":-1}]}');
  });

  it('writes the columnar format as the single value or an object of named outputs', async () => {
    expect(await encode([scores], 'columnar')).toBe('{"outputs":[[0.1,0.9],[1.0,-0.0]]}');
    expect(await encode([scores, label], 'columnar')).toBe('{"outputs":{"scores":[[0.1,0.9],[1.0,-0.0]],"label":[9007199254740993,-1]}}');
    const scalar: Tensor = { name: 's', datatype: 'FP64', shape: [], data: new Float64Array([0.1]) };
    expect(await encode([scalar], 'columnar')).toBe('{"outputs":0.1}');
  });

  it('writes an empty batch and a batch of one', async () => {
    expect(await encode([{ name: 'y', datatype: 'FP32', shape: [0, 3], data: new Float32Array() }], 'row')).toBe('{"predictions":[]}');
    expect(await encode([{ name: 'y', datatype: 'FP32', shape: [1], data: new Float32Array([2]) }], 'row')).toBe('{"predictions":[2.0]}');
  });

  it('writes BYTES outputs named *_bytes as {"b64": ...} and others as text', async () => {
    const data = [new Uint8Array([0xff, 0x00]), new Uint8Array([0x68, 0x69])];
    expect(await encode([{ name: 'img_bytes', datatype: 'BYTES', shape: [2], data }], 'row')).toBe('{"predictions":[{"b64":"/wA="},{"b64":"aGk="}]}');
    expect(await encode([{ name: 'word', datatype: 'BYTES', shape: [1], data: [data[1]!] }], 'columnar')).toBe('{"outputs":["hi"]}');
    const refused = await refusalOf(() => encode([{ name: 'img', datatype: 'BYTES', shape: [1], data: [data[0]!] }], 'row'));
    expect(refused.code).toBe('FERRY_ERR_OUTPUT_NOT_TEXT');
    expect(refused.message).toContain("ends in '_bytes'");
  });

  it('writes rows of many elements the same, yielding on the way', async () => {
    const n = 5000;
    const big: Tensor = { name: 'y', datatype: 'INT32', shape: [n, 2], data: Int32Array.from({ length: 2 * n }, (_, i) => i) };
    const rows = Array.from({ length: n }, (_, r) => `[${2 * r},${2 * r + 1}]`).join(',');
    expect(await encode([big], 'row')).toBe(`{"predictions":[${rows}]}`);
    const wide: Tensor = { name: 'y', datatype: 'INT32', shape: [1, 5000], data: new Int32Array(5000) };
    const zeros = `[${new Array(5000).fill(0).join(',')}]`;
    for (const sliceUsedUp of [false, true]) {
      expect(await encode([wide, { ...wide, name: 'z' }], 'row', sliceUsedUp)).toBe(`{"predictions":[{"y":${zeros},"z":${zeros}}]}`);
      expect(await encode([{ ...wide, shape: [2, 2500] }], 'row', sliceUsedUp)).toBe(`{"predictions":[[${new Array(2500).fill(0).join(',')}],[${new Array(2500).fill(0).join(',')}]]}`);
      expect(await encode([{ ...wide, shape: [1, 5000] }], 'row', sliceUsedUp)).toBe(`{"predictions":[${zeros}]}`);
      expect(await encode([wide], 'columnar', sliceUsedUp)).toBe(`{"outputs":[${zeros}]}`);
      expect(await encode([wide, { ...wide, name: 'z' }], 'columnar', sliceUsedUp)).toBe(`{"outputs":{"y":[${zeros}],"z":[${zeros}]}}`);
    }
  });

  it('refuses no outputs, outputs without a batch dimension, and batches that differ, in the row format', async () => {
    expect(await refusalOf(() => encode([], 'row'))).toEqual({ code: 'FERRY_ERR_INTERNAL', message: 'internal error: the model returned no outputs' });
    const scalar: Tensor = { name: 's', datatype: 'FP32', shape: [], data: new Float32Array([1]) };
    expect(await refusalOf(() => encode([scalar], 'row'))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL', message: "model 'm': output 's' has no batch dimension; use the columnar format ('inputs')",
    });
    const three: Tensor = { name: 'three', datatype: 'INT32', shape: [3], data: new Int32Array(3) };
    expect(await refusalOf(() => encode([label, three], 'row'))).toEqual({
      code: 'FERRY_ERR_UNSUPPORTED_MODEL',
      message: "model 'm': output 'three' has batch size 3, expected 2 like the other outputs; use the columnar format ('inputs')",
    });
    expect(await encode([label, three], 'columnar')).toBe('{"outputs":{"label":[9007199254740993,-1],"three":[0,0,0]}}');
  });
});

describe('TF_STYLE', () => {
  it('writes FP32 at single and FP64 at double precision, and b64 for names ending in _bytes', () => {
    expect(TF_STYLE.float(Math.fround(0.1), 'FP32')).toBe('0.1');
    expect(TF_STYLE.float(Math.fround(0.1), 'FP64')).toBe('0.10000000149011612');
    expect(TF_STYLE.float(Math.fround(0.1), 'FP16')).toBe('0.1');
    expect(TF_STYLE.base64!({ name: 'x_bytes', datatype: 'BYTES', shape: [0], data: [] })).toBe(true);
    expect(TF_STYLE.base64!({ name: 'x_byte', datatype: 'BYTES', shape: [0], data: [] })).toBe(false);
  });
});
