// Answers are bounded by limits.max_response_bytes (500 naming the setting, in each protocol's error shape), and
// the JSON encoders write large answers in slices that yield to the event loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/protocol/http/limits.ts';
import { JsonSink } from '../src/protocol/http/json-sink.ts';
import { encodePredict } from '../src/protocol/tfserving-rest/predict-response.ts';
import { encodePredictions } from '../src/protocol/mlflow/predictions.ts';
import { watchEventLoop } from './helpers/event-loop.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
const LIMIT = 4096;

beforeAll(async () => {
  ferry = await startFerry({ limits: { max_response_bytes: LIMIT }, grpc: { enabled: false } });
}, 60_000);

afterAll(async () => {
  await ferry?.stop();
});

async function post(path: string, body: string, type = 'application/json') {
  const response = await fetch(`${ferry.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, text: await response.text() };
}

const values = (n: number) => Array.from({ length: n }, (_, i) => i / 7);
const SETTING = /exceeds the limit of 4096 bytes \(setting: limits\.max_response_bytes\)/;

describe('limits.max_response_bytes', () => {
  it('refuses an answer past the limit in every REST protocol, and serves one within it', async () => {
    const small = await post('/v1/models/half_plus_two:predict', JSON.stringify({ instances: values(10) }));
    expect(small.status).toBe(200);
    expect(JSON.parse(small.text).predictions).toHaveLength(10);

    const tf = await post('/v1/models/half_plus_two:predict', JSON.stringify({ instances: values(2000) }));
    expect(tf.status).toBe(500);
    expect(JSON.parse(tf.text).error).toMatch(SETTING);

    const mlflow = await post('/mlflow/half_plus_two/invocations', JSON.stringify({ inputs: values(2000) }));
    expect(mlflow.status).toBe(500);
    expect(JSON.parse(mlflow.text)).toEqual({ error_code: 'INTERNAL_ERROR', message: expect.stringMatching(SETTING) });

    const seldon = await post('/seldon/half_plus_two/api/v1.0/predictions', JSON.stringify({ data: { ndarray: values(2000) } }));
    expect(seldon.status).toBe(500);
    expect(JSON.parse(seldon.text).status).toMatchObject({ code: 500, reason: 'FERRY_ERR_RESPONSE_TOO_LARGE', info: expect.stringMatching(SETTING) });

    const v2 = await post('/v2/models/half_plus_two/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2000], data: values(2000) }] }));
    expect(v2.status).toBe(500);
    expect(JSON.parse(v2.text).error).toMatch(SETTING);
  });
});

describe('large answers are encoded in slices', () => {
  const tensor = (n: number) => ({ name: 'y', datatype: 'FP32' as const, shape: [n], data: Float32Array.from({ length: n }, (_, i) => i / 3) });

  it('TF Serving: 300,000 floats formatted at TF precision without a long event-loop stall, bytes as one string would be', async () => {
    const sink = new JsonSink(DEFAULT_LIMITS);
    const { longestGapMs } = await watchEventLoop(() => encodePredict('m', [tensor(300_000)], 'columnar', sink));
    const body = sink.finish();
    expect(body.chunks.length).toBeGreaterThan(1);
    const text = Buffer.concat(body.chunks).toString();
    expect(text.length).toBe(body.length);
    const parsed = JSON.parse(text) as { outputs: number[] };
    expect(parsed.outputs).toHaveLength(300_000);
    expect(parsed.outputs[3]).toBe(1);
    expect(Math.fround(parsed.outputs[299_999]!)).toBe(Math.fround(299_999 / 3));
    // Slices of ~8 ms; generous for a loaded machine (formatted in one go this stalls for seconds).
    expect(longestGapMs).toBeLessThan(1000);
  }, 120_000);

  it('MLflow: records for 200,000 rows are chunks, never one string', async () => {
    const sink = new JsonSink(DEFAULT_LIMITS);
    const two = [tensor(200_000), { ...tensor(200_000), name: 'z' }];
    const { longestGapMs } = await watchEventLoop(() => encodePredictions(two, 'frame', sink));
    const body = sink.finish();
    const parsed = JSON.parse(Buffer.concat(body.chunks).toString()) as { predictions: { y: number; z: number }[] };
    expect(parsed.predictions).toHaveLength(200_000);
    expect(parsed.predictions[6]).toEqual({ y: 2, z: 2 });
    expect(longestGapMs).toBeLessThan(1000);
  }, 120_000);
});
