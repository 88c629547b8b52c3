import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, REPO_ROOT, startFerry, type RunningFerry } from './helpers/server.ts';

interface ReferenceCase {
  inputs: Record<string, number[][] | number[]>;
  outputs: Record<string, number[][] | number[]>;
}
const reference = (name: string): ReferenceCase[] =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/onnx', `${name}.reference.json`), 'utf8'));

const shapeOf = (value: number[][] | number[]): number[] => (Array.isArray(value[0]) ? [value.length, (value[0] as number[]).length] : [value.length]);

describe('Open Inference Protocol over REST', () => {
  let ferry: RunningFerry;
  beforeAll(async () => {
    ferry = await startFerry();
  });
  afterAll(async () => {
    await ferry.stop();
  });

  it('serves health, server metadata and model metadata', async () => {
    expect((await fetch(`${ferry.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${ferry.url}/v2/health/ready`)).status).toBe(200);
    const server = await getJson(`${ferry.url}/v2`);
    expect(server.body).toMatchObject({ name: 'ferry', extensions: expect.arrayContaining(['binary_tensor_data', 'model_repository', 'statistics']) });
    const meta = await getJson(`${ferry.url}/v2/models/simple`);
    expect(meta.body).toEqual({
      name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] }, { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] }],
    });
    expect((await getJson(`${ferry.url}/v2/models/simple/versions/1`)).body.name).toBe('simple');
    expect((await fetch(`${ferry.url}/v2/models/simple/ready`)).status).toBe(200);
    expect((await fetch(`${ferry.url}/v2/models/simple/versions/1/ready`)).status).toBe(200);
  });

  it('computes sum and difference of two INT32 [-1,16] inputs equal to the numpy reference', async () => {
    for (const c of reference('simple')) {
      const inputs = Object.entries(c.inputs).map(([name, data]) => ({ name, datatype: 'INT32', shape: shapeOf(data), data }));
      const { status, body } = await postJson(`${ferry.url}/v2/models/simple/infer`, { id: 'req-1', inputs });
      expect(status).toBe(200);
      expect(body.id).toBe('req-1');
      expect(body.model_version).toBe('1');
      for (const [name, expected] of Object.entries(c.outputs)) {
        const out = body.outputs.find((o: { name: string }) => o.name === name);
        expect(out.shape).toEqual(shapeOf(expected));
        expect(out.datatype).toBe('INT32');
        expect(out.data).toEqual(expected.flat());
      }
    }
  });

  it('runs the float MLP within float32 tolerance of the numpy float64 reference', async () => {
    for (const c of reference('mlp')) {
      const data = c.inputs['input'] as number[][];
      const { status, body } = await postJson(`${ferry.url}/v2/models/mlp/versions/1/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: shapeOf(data), data: data.flat() }],
      });
      expect(status).toBe(200);
      const expected = (c.outputs['logits'] as number[][]).flat();
      const actual = body.outputs[0].data as number[];
      expect(actual).toHaveLength(expected.length);
      actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[i]!))));
    }
  });

  it('accepts nested data and integral floats for integer tensors, and honours the outputs selection', async () => {
    const row = Array.from({ length: 16 }, (_, i) => i);
    const { status, body } = await postJson(`${ferry.url}/v2/models/simple/infer`, {
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: [row.map((v) => v + 0.0)] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: [row] },
      ],
      outputs: [{ name: 'OUTPUT1' }],
    });
    expect(status).toBe(200);
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toEqual({ name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: new Array(16).fill(0) });
  });

  it('speaks the binary tensor extension byte-exactly, with or without a Content-Type', async () => {
    const a = Int32Array.from({ length: 32 }, (_, i) => i * 3 - 40);
    const b = Int32Array.from({ length: 32 }, (_, i) => 1000 - i);
    const header = Buffer.from(JSON.stringify({
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], parameters: { binary_data_size: a.byteLength } },
        { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], parameters: { binary_data_size: b.byteLength } },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }, { name: 'OUTPUT1', parameters: { binary_data: false } }],
    }));
    const body = Buffer.concat([header, Buffer.from(a.buffer), Buffer.from(b.buffer)]);
    for (const contentType of ['application/octet-stream', undefined]) {
      const response = await fetch(`${ferry.url}/v2/models/simple/infer`, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(header.length), ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      });
      expect(response.status).toBe(200);
      const jsonLength = Number(response.headers.get('inference-header-content-length'));
      const raw = Buffer.from(await response.arrayBuffer());
      const json = JSON.parse(raw.subarray(0, jsonLength).toString());
      const sumOut = json.outputs.find((o: { name: string }) => o.name === 'OUTPUT0');
      expect(sumOut.parameters.binary_data_size).toBe(128);
      expect(sumOut.data).toBeUndefined();
      const sums = new Int32Array(raw.buffer.slice(raw.byteOffset + jsonLength, raw.byteOffset + jsonLength + 128));
      expect(Array.from(sums)).toEqual(Array.from(a, (v, i) => v + b[i]!));
      const diffOut = json.outputs.find((o: { name: string }) => o.name === 'OUTPUT1');
      expect(diffOut.data).toEqual(Array.from(a, (v, i) => v - b[i]!));
      expect(raw.length).toBe(jsonLength + 128);
    }
  });

  it('returns every output in binary when binary_data_output is set', async () => {
    const x = Float32Array.from([2, 3, 4]);
    const header = Buffer.from(JSON.stringify({ parameters: { binary_data_output: true }, inputs: [{ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } }] }));
    const response = await fetch(`${ferry.url}/v2/models/half_plus_two/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' },
      body: Buffer.concat([header, Buffer.from(x.buffer)]),
    });
    expect(response.status).toBe(200);
    const jsonLength = Number(response.headers.get('inference-header-content-length'));
    const raw = Buffer.from(await response.arrayBuffer());
    const y = new Float32Array(raw.buffer.slice(raw.byteOffset + jsonLength));
    expect(Array.from(y)).toEqual([3, 3.5, 4]);
  });

  it('keeps statistics per model version and Prometheus metrics per model, version, protocol and status', async () => {
    // Its own requests, counted as differences: the test passes alone or after any other.
    const statsOf = async () => {
      const stats = await getJson(`${ferry.url}/v2/models/simple/versions/1/stats`);
      expect(stats.status).toBe(200);
      expect(stats.body.model_stats).toHaveLength(1);
      return stats.body.model_stats[0];
    };
    const before = await statsOf();
    expect(before).toMatchObject({ name: 'simple', version: '1' });
    const row = Array.from({ length: 16 }, (_, i) => i);
    for (let i = 0; i < 3; i++) {
      const answer = await postJson(`${ferry.url}/v2/models/simple/versions/1/infer`, {
        inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: row }],
      });
      expect(answer.status).toBe(200);
    }
    const failed = await postJson(`${ferry.url}/v2/models/simple/versions/1/infer`, { inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row }] });
    expect(failed.status).toBe(400);
    const after = await statsOf();
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(3);
    expect(after.inference_stats.success.ns).toBeGreaterThan(before.inference_stats.success.ns);
    expect(after.inference_stats.queue.count - before.inference_stats.queue.count).toBe(3);
    expect(after.inference_count - before.inference_count).toBe(3);
    expect(after.inference_stats.fail.count - before.inference_stats.fail.count).toBe(1);
    // Sequential requests may still share a batch only if they overlap: at least one execution, at most three.
    expect(after.execution_count - before.execution_count).toBeGreaterThanOrEqual(1);
    expect(after.execution_count - before.execution_count).toBeLessThanOrEqual(3);
    const all = (await getJson(`${ferry.url}/v2/models/stats`)).body.model_stats as { name: string; version: string }[];
    expect(all.map((m) => `${m.name}/${m.version}`)).toContain('simple/1');
    for (const name of ['no-such-model-1', 'no-such-model-2']) await postJson(`${ferry.url}/v2/models/${name}/infer`, { inputs: [] });
    const metrics = await (await fetch(`${ferry.url}/metrics`)).text();
    // Unknown names clients send are counted under one label, never as series of their own.
    expect(metrics).not.toMatch(/no-such-model/);
    expect(metrics).toMatch(/ferry_inference_requests_total\{model="_unknown",version="",protocol="v2-rest",status="(400|404)"\} [1-9]/);
    expect(metrics).toMatch(/ferry_inference_requests_total\{model="simple",version="1",protocol="v2-rest",status="200"\} [1-9]/);
    expect(metrics).toMatch(/ferry_inference_request_duration_seconds_bucket\{le="0.001",model="simple"/);
  });
});
