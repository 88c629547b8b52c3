// Request limits (the `limits` config section): declared shapes are bounded before anything is allocated for
// them, JSON nesting and string lengths before a body is parsed; every refusal is a 400 (gRPC INVALID_ARGUMENT)
// whose message names the setting that enforces it, and the server keeps serving.
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
let small: RunningFerry;
let client: GrpcServiceClient;

beforeAll(async () => {
  ferry = await startFerry();
  small = await startFerry({ limits: { max_rank: 2, max_elements: 1000, max_json_depth: 10, max_string_length: 300 }, grpc: { enabled: false } });
  client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
}, 60_000);

afterAll(async () => {
  client?.close();
  await ferry?.stop();
  await small?.stop();
});

async function post(url: string, body: string, type = 'application/json'): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, text: await response.text() };
}

const seldon = (model: string) => `${ferry.url}/seldon/${model}/api/v1.0/predictions`;
const deep = (levels: number, leaf = '1') => `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}`;

async function stillServes(url = ferry.url): Promise<void> {
  const ok = await post(`${url}/v2/models/half_plus_two/infer`, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] }));
  expect(JSON.parse(ok.text).outputs[0].data).toEqual([3]);
}

describe('declared shapes are bounded before allocation', () => {
  it('Seldon data.tensor [1000000000, 0] without values: 400 naming limits.max_elements, for a table model and a single-input model', async () => {
    for (const model of ['simple', 'half_plus_two']) {
      const r = await post(seldon(model), JSON.stringify({ data: { tensor: { shape: [1_000_000_000, 0], values: [] } } }));
      expect(r.status).toBe(400);
      const status = JSON.parse(r.text).status;
      expect(status.reason).toBe('FERRY_ERR_LIMIT_EXCEEDED');
      expect(status.info).toBe(
        "tensor 'data.tensor' of shape [1000000000,0] spans 1000000000 elements (a zero dimension counted as one), which exceeds the limit of 67108864 elements (setting: limits.max_elements)",
      );
    }
    await stillServes();
  });

  it('the same through the form-encoded body', async () => {
    const json = JSON.stringify({ data: { tensor: { shape: [1_000_000_000, 0], values: [] } } });
    const r = await post(seldon('simple'), `json=${encodeURIComponent(json)}`, 'application/x-www-form-urlencoded');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/setting: limits\.max_elements/);
    await stillServes();
  });

  it('[1e300, 0] is an invalid shape and [2^40, 0] too large: 400, never 500', async () => {
    const huge = await post(seldon('simple'), '{"data": {"tensor": {"shape": [1e300, 0], "values": []}}}');
    expect(huge.status).toBe(400);
    expect(JSON.parse(huge.text).status.info).toBe("tensor 'data.tensor' has an invalid shape [1e+300,0]");
    const wide = await post(seldon('simple'), JSON.stringify({ data: { tensor: { shape: [2 ** 40, 0], values: [] } } }));
    expect(wide.status).toBe(400);
    expect(JSON.parse(wide.text).status.info).toMatch(/spans 1099511627776 elements .* \(setting: limits\.max_elements\)$/);
  });

  it('a table of rows without columns is refused before its rows are made', async () => {
    const r = await post(seldon('simple'), JSON.stringify({ data: { tensor: { shape: [1000, 0], values: [] } } }));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).status.info).toMatch(/has no columns/);
  });

  it('V2 JSON and binary: a zero dimension does not hide a huge one', async () => {
    for (const [shape, expected] of [[[1_000_000_000, 0], /limits\.max_elements/], [[2 ** 40, 0], /limits\.max_elements/], [[1e300, 0], /invalid shape/]] as const) {
      const json = await post(`${ferry.url}/v2/models/half_plus_two/infer`, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, data: [] }] }));
      expect(json.status).toBe(400);
      expect(JSON.parse(json.text).error).toMatch(expected);
      const header = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: 0 } }] });
      const response = await fetch(`${ferry.url}/v2/models/half_plus_two/infer`, {
        method: 'POST', headers: { 'inference-header-content-length': String(Buffer.byteLength(header)) }, body: header,
      });
      expect(response.status).toBe(400);
      expect((await response.json() as { error: string }).error).toMatch(expected);
    }
  });

  it('gRPC: INVALID_ARGUMENT naming the limit for [2^40, 0]; an int64 dimension beyond 2^53 is an invalid shape', async () => {
    const call = (shape: unknown[]) => client.call('ModelInfer', { model_name: 'half_plus_two', inputs: [{ name: 'x', datatype: 'FP32', shape }], raw_input_contents: [Buffer.alloc(0)] }).then(
      () => { throw new Error('expected a failure'); },
      (e: ServiceError) => ({ code: e.code, details: e.details }),
    );
    const wide = await call([2 ** 40, 0]);
    expect(wide.code).toBe(3);
    expect(wide.details).toMatch(/spans 1099511627776 elements .*\(setting: limits\.max_elements\)/);
    const beyond = await call(['9007199254740993', 0]);
    expect(beyond.code).toBe(3);
    expect(beyond.details).toMatch(/invalid shape/);
  });

  it('TF Serving and MLflow: nested lists spanning more than the limit, and deeper than the rank limit', async () => {
    const rows = Array.from({ length: 40 }, () => Array.from({ length: 40 }, () => 0)); // 1,600 elements > 1,000
    const tf = await post(`${small.url}/v1/models/half_plus_two:predict`, JSON.stringify({ instances: rows }));
    expect(tf.status).toBe(400);
    expect(JSON.parse(tf.text).error).toMatch(/spans 1600 elements.*\(setting: limits\.max_elements\)$/);
    const mlflow = await post(`${small.url}/mlflow/half_plus_two/invocations`, JSON.stringify({ inputs: [[[1]]] }));
    expect(mlflow.status).toBe(400);
    expect(JSON.parse(mlflow.text).message).toMatch(/nests deeper than 2 lists.*\(setting: limits\.max_rank\)$/);
    await stillServes(small.url);
  });

  it('V2: more dimensions than limits.max_rank', async () => {
    const r = await post(`${small.url}/v2/models/half_plus_two/infer`, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1, 1], data: [1] }] }));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toBe("tensor 'x' has 3 dimensions, which exceeds the limit of 2 dimensions (setting: limits.max_rank)");
  });
});

describe('JSON nesting and string lengths are bounded before parsing', () => {
  it('Seldon meta.tags nested 100,000 deep: 400 naming limits.max_json_depth, not a stack overflow', async () => {
    const body = `{"meta": {"tags": {"t": ${deep(100_000)}}}, "data": {"ndarray": [1]}}`;
    const r = await post(seldon('half_plus_two'), body);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).status.info).toBe('the JSON body nests deeper than 100 levels, which exceeds the limit of 100 levels (setting: limits.max_json_depth)');
    const form = await post(seldon('half_plus_two'), `json=${encodeURIComponent(body)}`, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    await stillServes();
  });

  it('nesting to exactly 100 levels is accepted (as Triton), 101 is not', async () => {
    // The body object, meta, tags: 3 levels; the tag's lists make up the rest.
    const at = (levels: number) => `{"meta": {"tags": {"t": ${deep(levels - 3)}}}, "data": {"ndarray": [1]}}`;
    const ok = await post(seldon('half_plus_two'), at(100));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).meta.tags.t).toEqual(JSON.parse(deep(97)));
    const over = await post(seldon('half_plus_two'), at(101));
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text).status.info).toMatch(/limits\.max_json_depth/);
  });

  it('every JSON protocol checks depth: V2, TF Serving, MLflow', async () => {
    const v2 = await post(`${ferry.url}/v2/models/half_plus_two/infer`, `{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": ${deep(200)}}]}`);
    expect(v2.status).toBe(400);
    expect(JSON.parse(v2.text).error).toMatch(/limits\.max_json_depth/);
    const tf = await post(`${ferry.url}/v1/models/half_plus_two:predict`, `{"instances": ${deep(50_000)}}`);
    expect(tf.status).toBe(400);
    expect(JSON.parse(tf.text).error).toMatch(/limits\.max_json_depth/);
    const mlflow = await post(`${ferry.url}/mlflow/half_plus_two/invocations`, `{"inputs": ${deep(50_000)}}`);
    expect(mlflow.status).toBe(400);
    expect(JSON.parse(mlflow.text)).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/limits\.max_json_depth/) });
    // Brackets inside strings are text, not nesting.
    const quoted = await post(seldon('half_plus_two'), `{"meta": {"tags": {"t": "${'['.repeat(5000)}"}}, "data": {"ndarray": [1]}}`);
    expect(quoted.status).toBe(200);
  });

  it('a string longer than limits.max_string_length is refused, one at the limit is not', async () => {
    const at = (length: number) => JSON.stringify({ meta: { tags: { t: 'a'.repeat(length) } }, data: { ndarray: [1] } });
    expect((await post(`${small.url}/seldon/half_plus_two/api/v1.0/predictions`, at(300))).status).toBe(200);
    const over = await post(`${small.url}/seldon/half_plus_two/api/v1.0/predictions`, at(301));
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text).status.info).toBe('a string of 301 characters in the JSON body exceeds the limit of 300 characters (setting: limits.max_string_length)');
  });
});
