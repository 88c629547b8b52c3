// Triton's classification extension: `classification: k` on a requested output (class_count in Triton's clients)
// answers the top k classes as BYTES "value:index[:label]", per row for outputs with a batch dimension, with
// labels from the model folder's labels.txt. Checked against rankings computed here from numpy's reference logits.
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { EXAMPLE_MODELS, getJson, postJson, REPO_ROOT, startFerry, type RunningFerry } from './helpers/server.ts';
import { parseRawBytesElements } from './helpers/v2-binary.ts';
import { exchange, splitBinaryAnswer } from './helpers/raw-http.ts';

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const reference: { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> }[] =
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/onnx/mlp.reference.json'), 'utf8'));

let root: string;
let ferry: RunningFerry;
let client: GrpcServiceClient;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ferry-classes-'));
  for (const model of ['mlp', 'simple']) await cp(path.join(EXAMPLE_MODELS, model), path.join(root, model), { recursive: true });
  await cp(path.join(EXAMPLE_MODELS, 'mlp'), path.join(root, 'mlp_unlabelled'), { recursive: true });
  // Ten labels for ten classes, CRLF line ends and a final newline, as editors on any system write them.
  await writeFile(path.join(root, 'mlp', 'labels.txt'), `${DIGITS.join('\r\n')}\r\n`);
  ferry = await startFerry({ model_repository: root, grpc: { enabled: true } });
  client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  client.close();
  await ferry.stop();
  await rm(root, { recursive: true, force: true });
});

/** Top k of each row of numpy's logits: [index, value] pairs, highest first. */
function topK(rows: number[][], k: number): [number, number][][] {
  return rows.map((row) => row.map((v, i) => [i, v] as [number, number]).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k));
}

/** Checks "value:index[:label]" strings against a reference ranking: indices and labels exactly, values to float32. */
function expectRanking(actual: string[], expected: [number, number][], labels?: readonly string[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((text, j) => {
    const [value, index, label] = text.split(':');
    expect(Number(index)).toBe(expected[j]![0]);
    expect(label).toBe(labels?.[expected[j]![0]]);
    expect(value).toMatch(/^-?\d+\.\d{6}$/);
    expect(Math.abs(Number(value) - expected[j]![1])).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[j]![1])));
  });
}

const mlpRequest = (rows: number[][], classification: number | string, binary = false) => ({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0]!.length], data: rows.flat() }],
  outputs: [{ name: 'logits', parameters: { classification, ...(binary ? { binary_data: true } : {}) } }],
});

describe('classification extension', () => {
  it('answers the top 3 classes of every row with their labels, over JSON', async () => {
    for (const c of reference) {
      const rows = c.inputs['input']!;
      const { status, body } = await postJson(`${ferry.url}/v2/models/mlp/infer`, mlpRequest(rows, 3));
      expect(status).toBe(200);
      const out = body.outputs[0];
      expect(out).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [rows.length, 3] });
      const expected = topK(c.outputs['logits']!, 3);
      rows.forEach((_, r) => expectRanking(out.data.slice(r * 3, r * 3 + 3), expected[r]!, DIGITS));
    }
  });

  it('answers without labels when the model folder has no labels file, and caps k at the class count', async () => {
    const rows = reference[0]!.inputs['input']!;
    const { body } = await postJson(`${ferry.url}/v2/models/mlp_unlabelled/infer`, mlpRequest(rows, 50));
    expect(body.outputs[0].shape).toEqual([rows.length, 10]);
    const expected = topK(reference[0]!.outputs['logits']!, 10);
    rows.forEach((_, r) => expectRanking(body.outputs[0].data.slice(r * 10, r * 10 + 10), expected[r]!));
  });

  it('prints integer outputs as integers and ranks equal values by lower index (simple: INPUT0 + INPUT1)', async () => {
    const a = [5, 1, 9, 9, 0, 3, 7, 2, 8, 6, 4, 9, 1, 1, 0, 2];
    const zeros = new Array(16).fill(0);
    const { body } = await postJson(`${ferry.url}/v2/models/simple/infer`, {
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: zeros }],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: 4 } }, { name: 'OUTPUT1' }],
    });
    expect(body.outputs[0]).toEqual({ name: 'OUTPUT0', datatype: 'BYTES', shape: [1, 4], data: ['9:2', '9:3', '9:11', '8:8'] });
    expect(body.outputs[1].data).toEqual(a); // an output without the parameter is untouched
  });

  it('answers classes as binary BYTES and over gRPC', async () => {
    const rows = reference[0]!.inputs['input']!;
    const expected = topK(reference[0]!.outputs['logits']!, 2);
    const binary = await exchange(`${ferry.url}/v2/models/mlp/infer`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(mlpRequest(rows, 2, true)) });
    const elements = parseRawBytesElements(splitBinaryAnswer(binary).binary.get('logits')!).map((b) => b.toString('utf8'));
    rows.forEach((_, r) => expectRanking(elements.slice(r * 2, r * 2 + 2), expected[r]!, DIGITS));

    const response = await client.call<{ outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
      model_name: 'mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0]!.length], contents: { fp32_contents: rows.flat() } }],
      outputs: [{ name: 'logits', parameters: { classification: { int64_param: 2 } } }],
    });
    expect(response.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [String(rows.length), '2'] });
    const grpcElements = parseRawBytesElements(response.raw_output_contents[0]!).map((b) => b.toString('utf8'));
    expect(grpcElements).toEqual(elements);
  });

  it('refuses a class count that is not a whole number', async () => {
    const rows = reference[0]!.inputs['input']!;
    for (const bad of [-1, 1.5, 'three']) {
      const { status, body } = await postJson(`${ferry.url}/v2/models/mlp/infer`, mlpRequest(rows, bad as number));
      expect(status, String(bad)).toBe(400);
      expect(body.error).toMatch(/^parameter 'classification': the class count of output 'logits' must be a whole number of classes/);
    }
  });

  it('names the labels file in the model configuration, and lists the extension', async () => {
    expect((await getJson(`${ferry.url}/v2/models/mlp/config`)).body.output).toEqual([{ name: 'logits', data_type: 'TYPE_FP32', dims: [-1, 10], label_filename: 'labels.txt' }]);
    expect((await getJson(`${ferry.url}/v2/models/mlp_unlabelled/config`)).body.output[0].label_filename).toBeUndefined();
    expect((await getJson(`${ferry.url}/v2`)).body.extensions).toContain('classification');
  });
});
