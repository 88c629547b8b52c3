// MLflow 2.x answers, written out by hand as its json.dumps writes them (', ' and ': ' separators, Python floats):
// a single output as its nested list, several as records for table inputs or a dict of lists for tensor inputs.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../tensor/index.ts';
import { DEFAULT_LIMITS } from '../http/limits.ts';
import { JsonSink } from '../http/json-sink.ts';
import { refusalOf } from '../test-support/refusal.ts';
import { encodePredictions } from './predictions.ts';
import type { InputStyle } from './decode-input.ts';

async function encode(outputs: Tensor[], style: InputStyle, sliceUsedUp = false): Promise<string> {
  const sink = new JsonSink(DEFAULT_LIMITS);
  // A sink whose slice of work is used up (8 ms) pauses at its first look at the clock: the encoder must wait for it.
  if (sliceUsedUp) await new Promise((resolve) => setTimeout(resolve, 20));
  await encodePredictions(outputs, style, sink);
  return Buffer.concat(sink.finish().chunks).toString('utf8');
}

const label: Tensor = { name: 'label', datatype: 'INT64', shape: [2], data: new BigInt64Array([2n ** 53n + 1n, -1n]) };
const proba: Tensor = { name: 'proba', datatype: 'FP64', shape: [2, 2], data: new Float64Array([0.25, 0.75, 1, 1e-5]) };

describe('encodePredictions', () => {
  it('writes a single output as its nested list, whatever the input style', async () => {
    expect(await encode([proba], 'frame')).toBe('{"predictions": [[0.25, 0.75], [1.0, 1e-05]]}');
    expect(await encode([label], 'tensor')).toBe('{"predictions": [9007199254740993, -1]}');
    expect(await encode([{ name: 's', datatype: 'FP32', shape: [], data: new Float32Array([2]) }], 'tensor')).toBe('{"predictions": 2.0}');
  });

  it('writes several outputs of table inputs as one record per row', async () => {
    expect(await encode([label, proba], 'frame')).toBe(
      '{"predictions": [{"label": 9007199254740993, "proba": [0.25, 0.75]}, {"label": -1, "proba": [1.0, 1e-05]}]}',
    );
    const words: Tensor = { name: 'w', datatype: 'BYTES', shape: [2], data: [Buffer.from('a"'), Buffer.from('')] };
    expect(await encode([words, label], 'frame')).toBe('{"predictions": [{"w": "a\\"", "label": 9007199254740993}, {"w": "", "label": -1}]}');
    expect(await encode([{ ...label, shape: [0], data: new BigInt64Array() }, { ...proba, shape: [0, 2], data: new Float64Array() }], 'frame')).toBe('{"predictions": []}');
  });

  it('writes several outputs of tensor inputs, or of different row counts, as an object of named lists', async () => {
    expect(await encode([label, proba], 'tensor')).toBe('{"predictions": {"label": [9007199254740993, -1], "proba": [[0.25, 0.75], [1.0, 1e-05]]}}');
    const three: Tensor = { name: 'three', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) };
    expect(await encode([label, three], 'frame')).toBe('{"predictions": {"label": [9007199254740993, -1], "three": [true, false, true]}}');
    const scalar: Tensor = { name: 's', datatype: 'INT32', shape: [], data: new Int32Array([2]) };
    expect(await encode([scalar, { ...scalar, name: 't' }], 'frame')).toBe('{"predictions": {"s": 2, "t": 2}}');
  });

  it('writes many rows the same, yielding on the way', async () => {
    const n = 3000;
    const a: Tensor = { name: 'a', datatype: 'INT32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i) };
    const wide: Tensor = { name: 'b', datatype: 'UINT8', shape: [1, 5000], data: new Uint8Array(5000) };
    expect(await encode([a, { ...a, name: 'c' }], 'frame')).toBe(`{"predictions": [${Array.from({ length: n }, (_, i) => `{"a": ${i}, "c": ${i}}`).join(', ')}]}`);
    const zeros = `[${new Array(5000).fill(0).join(', ')}]`;
    for (const sliceUsedUp of [false, true]) {
      expect(await encode([wide, { ...wide, name: 'd' }], 'frame', sliceUsedUp)).toBe(`{"predictions": [{"b": ${zeros}, "d": ${zeros}}]}`);
      expect(await encode([wide, { ...wide, name: 'd' }], 'tensor', sliceUsedUp)).toBe(`{"predictions": {"b": [${zeros}], "d": [${zeros}]}}`);
      expect(await encode([wide], 'frame', sliceUsedUp)).toBe(`{"predictions": [${zeros}]}`);
    }
  });

  it('refuses BYTES that are not UTF-8 text, naming the V2 protocol', async () => {
    const raw: Tensor = { name: 'r', datatype: 'BYTES', shape: [1], data: [Uint8Array.from([0xff])] };
    expect(await refusalOf(() => encode([raw], 'frame'))).toEqual({
      code: 'FERRY_ERR_OUTPUT_NOT_TEXT',
      message: "output 'r' element 0 is not UTF-8 text, and this answer writes it as a JSON string: the V2 protocol carries bytes as they are (binary tensor extension, or gRPC)",
    });
  });
});
