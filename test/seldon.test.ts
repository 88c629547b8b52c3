import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fastify } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seldonRoutes } from '../src/protocol/seldon/index.ts';
import { REPO_ROOT, type RunningFerry } from './helpers/server.ts';
import { expectClose, readXgboostCase, send, startWithModels, type XgboostCase } from './helpers/protocol-repository.ts';

/**
 * Seldon Core v1 external API (SeldonMessage, prediction.proto) against a real server. Request fixtures follow
 * the documented forms: {"data": {"names": [...], "ndarray": [[...]]}} and {"data": {"tensor": {"shape": [...],
 * "values": [...]}}} (the engine's OpenAPI example is {"data": {"names": ["feature1"], "tensor": {"shape": [1, 1],
 * "values": [1]}}}). Numbers are checked against numpy (ONNX examples) and xgboost (tree fixtures).
 */
let ferry: RunningFerry;
let single: RunningFerry;
let softprob: XgboostCase;
let mlp: { inputs: { input: number[][] }; outputs: { logits: number[][] } }[];

beforeAll(async () => {
  ferry = await startWithModels({
    half_plus_two: { source: { example: 'half_plus_two' } },
    mlp: { source: { example: 'mlp' } },
    softprob: { source: { xgboost: 'multi_softprob' } },
    echo: { source: { echo: true } },
  });
  single = await startWithModels({ half_plus_two: { source: { example: 'half_plus_two' } } });
  softprob = await readXgboostCase('multi_softprob');
  mlp = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/mlp.reference.json'), 'utf8'));
});
afterAll(async () => {
  await ferry?.stop();
  await single?.stop();
});

const predict = (model: string, body: unknown) => send(`${ferry.url}/seldon/${model}/api/v1.0/predictions`, { body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('predictions', () => {
  it('ndarray in, ndarray out, with output names and meta.requestPath', async () => {
    const r = await predict('half_plus_two', { data: { names: ['x'], ndarray: [[2.0], [3.0], [4.0]] }, meta: { puid: 'abc', tags: { team: 'a' } } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      data: { names: ['y'], ndarray: [3.0, 3.5, 4.0] },
      meta: { puid: 'abc', tags: { team: 'a' }, routing: {}, requestPath: { half_plus_two: 'half_plus_two:1' }, metrics: [] },
    });
    expect(r.text).toContain('"ndarray":[3.0,3.5,4.0]');
  });

  it('tensor in, tensor out', async () => {
    const r = await predict('half_plus_two', { data: { tensor: { shape: [3], values: [2, 3, 4] } } });
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ names: ['y'], tensor: { shape: [3], values: [3, 3.5, 4] } });
    expect(typeof r.json.meta.puid).toBe('string');
  });

  it('a 2-D input: mlp logits match numpy, one name per column', async () => {
    const c = mlp[1]!;
    const r = await predict('mlp', { data: { ndarray: c.inputs.input } });
    expect(r.status).toBe(200);
    expect(r.json.data.names).toEqual(Array.from({ length: 10 }, (_, i) => `logits:${i}`));
    expect(expectClose(r.json.data.ndarray.flat(), c.outputs.logits.flat(), 1e-5)).toEqual([]);
    const t = await predict('mlp', { data: { tensor: { shape: [4, 256], values: c.inputs.input.flat() } } });
    expect(t.json.data.tensor.shape).toEqual([4, 10]);
    expect(expectClose(t.json.data.tensor.values, c.outputs.logits.flat(), 1e-5)).toEqual([]);
  });

  it('named columns map onto a tree model\'s feature inputs by name, in any order; outputs become one table', async () => {
    const order = [4, 2, 0, 1, 3];
    const names = order.map((i) => softprob.feature_names[i]!);
    const ndarray = softprob.rows.map((row) => order.map((i) => row[i]));
    const r = await predict('softprob', { data: { names, ndarray } });
    expect(r.status).toBe(200);
    expect(r.json.data.names).toEqual(['probabilities:0', 'probabilities:1', 'probabilities:2', 'label']);
    const rows = r.json.data.ndarray as number[][];
    expect(expectClose(rows.flatMap((row) => row.slice(0, 3)), softprob.expected['probabilities']!, 1e-12)).toEqual([]);
    expect(rows.map((row) => row[3])).toEqual(softprob.expected['label']);
  });

  it('without names, columns feed the inputs in signature order (tensor form)', async () => {
    const rows = softprob.rows.slice(1, 4);
    const r = await predict('softprob', { data: { tensor: { shape: [3, 5], values: rows.flat() } } });
    expect(r.status).toBe(200);
    expect(r.json.data.tensor.shape).toEqual([3, 4]);
    const probabilities = [0, 1, 2].flatMap((row) => r.json.data.tensor.values.slice(row * 4, row * 4 + 3));
    expect(expectClose(probabilities, softprob.expected['probabilities']!.slice(3, 12), 1e-12)).toEqual([]);
  });

  it('the form-encoded body json=<message> that Seldon clients send', async () => {
    const body = `json=${encodeURIComponent(JSON.stringify({ data: { ndarray: [[2.0]] } }))}`;
    const r = await send(`${ferry.url}/seldon/half_plus_two/api/v1.0/predictions`, { body, type: 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ names: ['y'], ndarray: [3.0] });
  });

  it('strData and binData feed a model with one BYTES input; jsonData takes named inputs', async () => {
    const str = await predict('echo', { strData: 'hello' });
    expect(str.status).toBe(200);
    expect(str.json.data).toEqual({ names: ['text_bytes', 'length'], ndarray: [['hello', 5]] });
    const bin = await predict('echo', { binData: Buffer.from('bytes!').toString('base64') });
    expect(bin.json.data.ndarray).toEqual([['bytes!', 6]]);
    const json = await predict('half_plus_two', { jsonData: { x: [2.0, 4.0] } });
    expect(json.status).toBe(200);
    expect(json.json.jsonData).toEqual({ y: [3.0, 4.0] });
  });

  it('the bare path serves the only model; with several, a path or the ferry-model header names it', async () => {
    const bare = await send(`${single.url}/api/v1.0/predictions`, { body: '{"data": {"ndarray": [2.0]}}' });
    expect(bare.status).toBe(200);
    expect(bare.json.data.ndarray).toEqual([3.0]);
    const ambiguous = await send(`${ferry.url}/api/v1.0/predictions`, { body: '{"data": {"ndarray": [2.0]}}' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.json.status.info).toMatch(/4 models are ready.*ferry-model header/);
    const header = await send(`${ferry.url}/api/v1.0/predictions`, { body: '{"data": {"ndarray": [2.0]}}', headers: { 'ferry-model': 'half_plus_two' } });
    expect(header.json.data.ndarray).toEqual([3.0]);
  });
});

describe('gateway and component paths', () => {
  it('the gateway path /seldon/{namespace}/{deployment}/api/v1.0/predictions names the model by its deployment', async () => {
    for (const namespace of ['default', 'seldon-prod']) {
      const r = await send(`${ferry.url}/seldon/${namespace}/half_plus_two/api/v1.0/predictions`, { body: '{"data": {"names": ["x"], "ndarray": [[2.0], [5.0]]}}' });
      expect(r.status).toBe(200);
      expect(r.json.data.ndarray).toEqual([3.0, 4.5]);
    }
    const feedback = await send(`${ferry.url}/seldon/default/half_plus_two/api/v1.0/feedback`, { body: '{"reward": 0.5}' });
    expect(feedback.status).toBe(200);
    expect(feedback.json.meta.requestPath).toEqual({ half_plus_two: 'half_plus_two:1' });
    const unknown = await send(`${ferry.url}/seldon/default/nope/api/v1.0/predictions`, { body: '{"data": {"ndarray": [2.0]}}' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.status).toMatchObject({ code: 404, info: "model 'nope' not found", status: 'FAILURE' });
  });

  it('the component API: /predict and /send-feedback, JSON or the json= form a wrapped model receives', async () => {
    const json = await send(`${single.url}/predict`, { body: '{"data": {"tensor": {"shape": [3], "values": [2, 3, 4]}}}' });
    expect(json.status).toBe(200);
    expect(json.json.data.tensor).toEqual({ shape: [3], values: [3, 3.5, 4] });
    const form = await send(`${single.url}/predict`, { body: `json=${encodeURIComponent('{"data": {"ndarray": [8.0]}}')}`, type: 'application/x-www-form-urlencoded' });
    expect(form.json.data.ndarray).toEqual([6.0]);
    const named = await send(`${ferry.url}/predict`, { body: '{"data": {"ndarray": [8.0]}}', headers: { 'ferry-model': 'half_plus_two' } });
    expect(named.json.data.ndarray).toEqual([6.0]);
    const feedback = await send(`${single.url}/send-feedback`, { body: '{"request": {"data": {"ndarray": [2.0]}}, "reward": 1}' });
    expect(feedback.status).toBe(200);
    expect(feedback.json.data).toEqual({ names: [], ndarray: [] });
  });
});

describe('feedback', () => {
  it('is accepted, reported through onFeedback, and answered with a SeldonMessage', async () => {
    const seen: [string, number][] = [];
    const app = fastify();
    await app.register(seldonRoutes, { dataplane: ferry.server.dataplane, bodyLimit: 1 << 20, onFeedback: (model, reward) => seen.push([model, reward]) });
    const body = { request: { data: { ndarray: [[2.0]] } }, response: { data: { ndarray: [3.0] } }, reward: 0.75, truth: { data: { ndarray: [3.0] } } };
    const r = await app.inject({ method: 'POST', url: '/seldon/half_plus_two/api/v1.0/feedback', payload: body });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ data: { names: [], ndarray: [] }, meta: { requestPath: { half_plus_two: 'half_plus_two:1' } } });
    expect(seen).toEqual([['half_plus_two', 0.75]]);
    const bad = await app.inject({ method: 'POST', url: '/seldon/half_plus_two/api/v1.0/feedback', payload: { reward: 'high' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().status).toMatchObject({ code: 400, status: 'FAILURE', info: expect.stringMatching(/'reward' must be a number/) });
    const unknown = await app.inject({ method: 'POST', url: '/seldon/nope/api/v1.0/feedback', payload: { reward: 1 } });
    expect(unknown.statusCode).toBe(404);
    expect(seen).toHaveLength(1);
    await app.close();
  });

  it('the served plugin takes feedback too', async () => {
    const r = await send(`${ferry.url}/seldon/half_plus_two/api/v1.0/feedback`, { body: '{"reward": 1}' });
    expect(r.status).toBe(200);
  });
});

describe('errors come back in Seldon\'s status shape', () => {
  const cases: [string, string, string, number, RegExp, string?][] = [
    ['unknown model', 'nope', '{"data": {"ndarray": [1]}}', 404, /model 'nope' not found/],
    ['malformed JSON', 'half_plus_two', '{"data": ', 400, /malformed request body/],
    ['no payload', 'half_plus_two', '{"meta": {}}', 400, /needs one of data, strData, binData or jsonData/],
    ['two payloads', 'half_plus_two', '{"data": {"ndarray": [1]}, "strData": "x"}', 400, /has one payload/],
    ['ndarray and tensor together', 'half_plus_two', '{"data": {"ndarray": [1], "tensor": {"shape": [1], "values": [1]}}}', 400, /both 'ndarray' and 'tensor'/],
    ['tensor values not matching the shape', 'half_plus_two', '{"data": {"tensor": {"shape": [3], "values": [1, 2]}}}', 400, /has 2 elements, its shape \[3\] needs 3/],
    ['strData to a numeric model', 'half_plus_two', '{"strData": "hello"}', 400, /strData needs a model with one BYTES input/],
    ['tftensor', 'half_plus_two', '{"data": {"tftensor": {}}}', 400, /tftensor' is not supported/],
    ['customData', 'half_plus_two', '{"customData": {}}', 400, /customData/],
    ['jsonData that is not the inputs', 'half_plus_two', '{"jsonData": {"a": 1}}', 400, /jsonData must be an object of the model's inputs/],
    ['a string for a float input', 'half_plus_two', '{"data": {"ndarray": ["a"]}}', 400, /"a" is not a number/],
    ['a 1-D array for several inputs', 'softprob', '{"data": {"ndarray": [1, 2, 3, 4, 5]}}', 400, /send a 2-D table/],
    ['names that only partly match the inputs', 'softprob', '{"data": {"names": ["f_alpha", "b", "c", "d", "e"], "ndarray": [[1, 2, 3, 4, 5]]}}', 400, /missing f_beta/],
    ['multipart bodies', 'half_plus_two', '--x--', 415, /unsupported content type/, 'multipart/form-data; boundary=x'],
  ];
  for (const [what, model, body, status, message, type] of cases) {
    it(what, async () => {
      const r = await send(`${ferry.url}/seldon/${model}/api/v1.0/predictions`, { body, ...(type ? { type } : {}) });
      expect(r.status).toBe(status);
      expect(Object.keys(r.json)).toEqual(['status']);
      expect(r.json.status).toMatchObject({ code: status, status: 'FAILURE', reason: expect.stringMatching(/^FERRY_ERR_/) });
      expect(r.json.status.info).toMatch(message);
    });
  }
});
