// Raw binary requests (Triton's binary tensor data extension): with `Inference-Header-Content-Length: 0` the body
// is the bytes of the model's one input; name and datatype come from the model, the one variable dimension from
// the byte count, a BYTES input takes the body as one element, and every output comes back as binary data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RunningFerry } from './helpers/server.ts';
import { startWithModels } from './helpers/protocol-repository.ts';
import { exchange, splitBinaryAnswer } from './helpers/raw-http.ts';
import { parseRawBytesElements } from './helpers/v2-binary.ts';

const reference: { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> }[] =
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/onnx/mlp.reference.json'), 'utf8'));
let ferry: RunningFerry;
beforeAll(async () => {
  ferry = await startWithModels({
    half_plus_two: { source: { example: 'half_plus_two' } },
    simple: { source: { example: 'simple' } },
    mlp: { source: { example: 'mlp' } },
    echo: { source: { echo: true } },
    // Triton's max_batch_size: the first dimension is the batch, of one row in a raw request.
    mlp_rows: { source: { example: 'mlp' }, yaml: 'max_request_rows: 8\n' },
    identity_rows: { source: { folder: path.join(REPO_ROOT, 'test/fixtures/onnx/exact-models/simple_identity') }, yaml: 'max_request_rows: 8\n' },
  });
});
afterAll(async () => {
  await ferry.stop();
});

const raw = (model: string, body: Buffer) =>
  exchange(`${ferry.url}/v2/models/${model}/infer`, { headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': 0 }, body });

describe('raw binary requests', () => {
  it('feeds the body to a single FP32 [-1] input and answers every output in binary (y = x/2 + 2)', async () => {
    const x = Float32Array.of(2, 3, 4, -1.5, 1e6);
    const r = await raw('half_plus_two', Buffer.from(x.buffer));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const { json, binary } = splitBinaryAnswer(r);
    expect(json).toMatchObject({ model_name: 'half_plus_two', outputs: [{ name: 'y', datatype: 'FP32', shape: [5], parameters: { binary_data_size: 20 } }] });
    expect(Array.from(new Float32Array(Uint8Array.from(binary.get('y')!).buffer))).toEqual(Array.from(x, (v) => Math.fround(v / 2 + 2)));
  });

  it('deduces the batch dimension of a [-1, F] input from the byte count (mlp against its numpy reference)', async () => {
    // mlp takes FP32 [-1, 256] and answers logits [-1, 10].
    for (const c of reference) {
      const rows = c.inputs['input']!;
      const r = await raw('mlp', Buffer.from(Float32Array.from(rows.flat()).buffer));
      expect(r.status).toBe(200);
      const { json, binary } = splitBinaryAnswer(r);
      expect(json.outputs[0].shape).toEqual([rows.length, 10]);
      const logits = new Float32Array(Uint8Array.from(binary.get('logits')!).buffer);
      const expected = c.outputs['logits']!.flat();
      expected.forEach((v, i) => expect(Math.abs(logits[i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    }
  });

  it('takes a BYTES body as one element, every byte value exactly', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const r = await raw('echo', all);
    expect(r.status).toBe(200);
    const { json, binary } = splitBinaryAnswer(r);
    expect(json.outputs.map((o: any) => [o.name, o.shape])).toEqual([['text_bytes', [1]], ['length', [1]]]);
    expect(parseRawBytesElements(binary.get('text_bytes')!)).toEqual([all]);
    expect(binary.get('length')!.readInt32LE(0)).toBe(256);
  });

  it('refuses a model with several inputs, and a byte count that is not whole rows', async () => {
    const several = await raw('simple', Buffer.alloc(128));
    expect(several.status).toBe(400);
    expect(JSON.parse(several.body.toString()).error).toBe(
      "binary tensor data: raw binary request (Inference-Header-Content-Length: 0) to model 'simple': the model takes 2 inputs (INPUT0, INPUT1); a raw request carries one",
    );
    const ragged = await raw('mlp', Buffer.alloc(20));
    expect(ragged.status).toBe(400);
    expect(JSON.parse(ragged.body.toString()).error).toMatch(/20 bytes of raw data are not a whole number of FP32 \[-1,256\] rows of 1024 bytes/);
    const odd = await raw('half_plus_two', Buffer.alloc(6));
    expect(odd.status).toBe(400);
  });

  it('with max_request_rows, takes the first dimension as a batch of one row, as Triton does with max_batch_size', async () => {
    const row = reference[0]!.inputs['input']![0]!;
    const one = await raw('mlp_rows', Buffer.from(Float32Array.from(row).buffer));
    expect(one.status).toBe(200);
    const { json, binary } = splitBinaryAnswer(one);
    expect(json.outputs[0].shape).toEqual([1, 10]);
    const logits = Array.from(new Float32Array(Uint8Array.from(binary.get('logits')!).buffer));
    logits.forEach((v, i) => expect(v).toBeCloseTo(reference[0]!.outputs['logits']![0]![i]!, 4));
    // Two rows are not one batch row of [256].
    expect((await raw('mlp_rows', Buffer.alloc(2048))).status).toBe(400);
    // The limit shows in the model configuration, and model metadata keeps to the protocol's own fields.
    const metadata = await (await fetch(`${ferry.url}/v2/models/mlp_rows`)).json() as Record<string, unknown>;
    expect(Object.keys(metadata).sort()).toEqual(['inputs', 'name', 'outputs', 'platform', 'versions']);
    const config = await (await fetch(`${ferry.url}/v2/models/mlp_rows/config`)).json() as { max_batch_size: number };
    expect(config.max_batch_size).toBe(8);
    // A BYTES [-1, -1] input: one element, shape [1, 1].
    const text = await raw('identity_rows', Buffer.from('427'));
    expect(text.status).toBe(200);
    const answer = splitBinaryAnswer(text);
    expect(answer.json.outputs[0].shape).toEqual([1, 1]);
    expect(parseRawBytesElements(answer.binary.get('OUTPUT0')!)).toEqual([Buffer.from('427')]);
  });
});
