import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RunningFerry } from './helpers/server.ts';
import { expectClose, readXgboostCase, send, startWithModels, type XgboostCase } from './helpers/protocol-repository.ts';

/**
 * TF Serving REST API (tensorflow_serving/g3doc/api_rest.md) against a real server. The documented golden cases
 * use the half_plus_three SavedModel (y = 0.5x + 3); they are ported here to the half_plus_two example
 * (y = 0.5x + 2), so every expected value is the documented one minus 1. Tree models answer against the
 * predictions xgboost itself made (test/fixtures/xgboost/<case>/case.json).
 */
let ferry: RunningFerry;
let softprob: XgboostCase;
let regression: XgboostCase;
const url = (p: string) => `${ferry.url}${p}`;

beforeAll(async () => {
  ferry = await startWithModels({
    half_plus_two: { source: { example: 'half_plus_two' }, yaml: 'labels:\n  stable: 1\n' },
    simple: { source: { example: 'simple' } },
    mlp: { source: { example: 'mlp' } },
    softprob: { source: { xgboost: 'multi_softprob' } },
    regression: { source: { xgboost: 'reg_squarederror' } },
    echo: { source: { echo: true } },
  });
  softprob = await readXgboostCase('multi_softprob');
  regression = await readXgboostCase('reg_squarederror');
});
afterAll(async () => ferry?.stop());

describe('predict: documented golden cases (ported to half_plus_two)', () => {
  it('row format: {"instances": [2.0, 3.0, 4.0]} → {"predictions": [3.0, 3.5, 4.0]}', async () => {
    const r = await send(url('/v1/models/half_plus_two:predict'), { body: '{"instances": [2.0, 3.0, 4.0]}' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    // TF Serving writes whole floats with a trailing '.0' (WriteDecimal), so the bytes are fixed.
    expect(r.text).toBe('{"predictions":[3.0,3.5,4.0]}');
  });

  it('the api_rest.md curl example: {"instances": [1.0,2.0,5.0]} → [3.5, 4.0, 5.5] on half_plus_three, [2.5, 3.0, 4.5] here', async () => {
    const r = await send(url('/v1/models/half_plus_two:predict'), { body: '{"instances": [1.0,2.0,5.0]}' });
    expect(r.text).toBe('{"predictions":[2.5,3.0,4.5]}');
  });

  it('columnar format: "inputs" as a plain list and as an object of named inputs → "outputs"', async () => {
    const plain = await send(url('/v1/models/half_plus_two:predict'), { body: '{"inputs": [2.0, 3.0, 4.0]}' });
    expect(plain.text).toBe('{"outputs":[3.0,3.5,4.0]}');
    const named = await send(url('/v1/models/half_plus_two:predict'), { body: '{"signature_name": "serving_default", "inputs": {"x": [2.0, 3.0, 4.0]}}' });
    expect(named.text).toBe('{"outputs":[3.0,3.5,4.0]}');
  });

  it('row format with a list of objects (named inputs)', async () => {
    const r = await send(url('/v1/models/half_plus_two:predict'), { body: '{"instances": [{"x": 2.0}, {"x": 3.0}, {"x": 4.0}]}' });
    expect(r.text).toBe('{"predictions":[3.0,3.5,4.0]}');
  });

  it('versions and labels in the path select the version', async () => {
    for (const p of ['/v1/models/half_plus_two/versions/1:predict', '/v1/models/half_plus_two/labels/stable:predict', '/v1/models/half_plus_two/versions/1%3Apredict']) {
      const r = await send(url(p), { body: '{"instances": [10]}' });
      expect(r.text, p).toBe('{"predictions":[7.0]}');
    }
  });

  it('NaN and Infinity tokens are accepted and written back as TF Serving does', async () => {
    const r = await send(url('/v1/models/half_plus_two:predict'), { body: '{"instances": [NaN, Infinity, -Infinity, 0.1]}' });
    expect(r.status).toBe(200);
    // 0.5 * 0.1f + 2 in float32 is 2.04999995..., which TF prints with 6 digits as 2.05 (it round-trips).
    expect(r.text).toBe('{"predictions":[NaN,Infinity,-Infinity,2.05]}');
  });
});

describe('predict: several inputs and outputs', () => {
  let cases: { inputs: Record<string, number[][]>; outputs: Record<string, number[][]> }[];
  beforeAll(async () => {
    cases = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/simple.reference.json'), 'utf8'));
  });

  it('row format: a list of objects in, a list of objects out (numpy reference)', async () => {
    const c = cases[1]!;
    const instances = c.inputs['INPUT0']!.map((row, i) => ({ INPUT0: row, INPUT1: c.inputs['INPUT1']![i] }));
    const r = await send(url('/v1/models/simple:predict'), { body: JSON.stringify({ instances }) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ predictions: c.outputs['OUTPUT0']!.map((row, i) => ({ OUTPUT0: row, OUTPUT1: c.outputs['OUTPUT1']![i] })) });
  });

  it('columnar format: an object of named inputs in, an object of named outputs out', async () => {
    const c = cases[1]!;
    const r = await send(url('/v1/models/simple:predict'), { body: JSON.stringify({ inputs: c.inputs }) });
    expect(r.json).toEqual({ outputs: c.outputs });
  });

  it('mlp logits match numpy (row format, nested lists)', async () => {
    const reference = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/mlp.reference.json'), 'utf8'));
    const c = reference[1];
    const r = await send(url('/v1/models/mlp:predict'), { body: JSON.stringify({ instances: c.inputs.input }) });
    expect(r.status).toBe(200);
    expect(r.json.predictions).toHaveLength(c.outputs.logits.length);
    expect(expectClose(r.json.predictions.flat(), c.outputs.logits.flat(), 1e-5)).toEqual([]);
  });

  it('binary values: {"b64": ...} in, and outputs named *_bytes come back as {"b64": ...}', async () => {
    const r = await send(url('/v1/models/echo:predict'), { body: '{"instances": [{"b64": "aW1hZ2UgYnl0ZXM="}, "seaside", {"b64": "AP8="}]}' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      predictions: [
        { text_bytes: { b64: 'aW1hZ2UgYnl0ZXM=' }, length: 11 },
        { text_bytes: { b64: Buffer.from('seaside').toString('base64') }, length: 7 },
        { text_bytes: { b64: 'AP8=' }, length: 2 },
      ],
    });
  });
});

describe('classify and regress', () => {
  it('regress, the documented case ported: {"examples": [{"x": 1.0}, {"x": 2.0}]} → {"results": [2.5, 3.0]}', async () => {
    const r = await send(url('/v1/models/half_plus_two:regress'), { body: '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 2.0}]}' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"results":[2.5,3.0]}');
  });

  it('regress a tree model with named features matches xgboost (missing values as null)', async () => {
    const examples = regression.rows.map((row) => Object.fromEntries(regression.feature_names.map((f, i) => [f, row[i]])));
    const r = await send(url('/v1/models/regression:regress'), { body: JSON.stringify({ examples }) });
    expect(r.status).toBe(200);
    // TF's RegressionResult holds float32 values.
    expect(expectClose(r.json.results, regression.expected['predict']!, 1e-6)).toEqual([]);
  });

  it('classify gives [label, score] pairs per example, scores matching xgboost; context features are shared', async () => {
    const [first, ...others] = softprob.feature_names;
    const examples = softprob.rows.slice(1, 6).map((row) => Object.fromEntries(others.map((f) => [f, row[softprob.feature_names.indexOf(f)]])));
    const context = { [first!]: softprob.rows[1]![0] };
    const r = await send(url('/v1/models/softprob:classify'), { body: JSON.stringify({ context, examples }) });
    expect(r.status).toBe(200);
    expect(r.json.results).toHaveLength(5);
    // Reference: xgboost on the same rows with f_alpha replaced by row 1's value.
    for (const pairs of r.json.results) expect(pairs.map((p: [string, number]) => p[0])).toEqual(['0', '1', '2']);
    const row1 = r.json.results[0].map((p: [string, number]) => p[1]);
    expect(expectClose(row1, softprob.expected['probabilities']!.slice(3, 6), 1e-6)).toEqual([]);
  });

  it('classify with every feature in the examples matches xgboost for all rows', async () => {
    const examples = softprob.rows.map((row) => Object.fromEntries(softprob.feature_names.map((f, i) => [f, row[i]])));
    const r = await send(url('/v1/models/softprob:classify'), { body: JSON.stringify({ examples }) });
    expect(r.status).toBe(200);
    const scores = r.json.results.flatMap((pairs: [string, number][]) => pairs.map((p) => p[1]));
    expect(expectClose(scores, softprob.expected['probabilities']!, 1e-6)).toEqual([]);
  });

  it('a model without class scores cannot classify: 400 naming what is needed', async () => {
    const r = await send(url('/v1/models/half_plus_two:classify'), { body: '{"examples": [{"x": 1.0}]}' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/classify needs a float output of class scores/);
  });

  it('a model without a single-value float output cannot regress', async () => {
    const r = await send(url('/v1/models/softprob:regress'), { body: JSON.stringify({ examples: [Object.fromEntries(softprob.feature_names.map((f) => [f, 1]))] }) });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/regress needs one float output/);
  });

  it('examples errors: missing, empty, feature in both context and example, unknown feature', async () => {
    const cases: [string, RegExp][] = [
      ['{"signature_name": "serving_default"}', /'examples' is expected/],
      ['{"examples": []}', /empty list/],
      ['{"context": {"x": 1}, "examples": [{"x": 2}]}', /both 'context' and example 0/],
      ['{"examples": [{"x": 2, "z": 1}]}', /has no input 'z'/],
      ['{"examples": [{"x": [1, 2]}]}', /takes one per example/],
    ];
    for (const [body, message] of cases) {
      const r = await send(url('/v1/models/half_plus_two:regress'), { body });
      expect(r.status, body).toBe(400);
      expect(r.json.error, body).toMatch(message);
    }
  });
});

describe('model status and metadata', () => {
  it('status lists versions with TF Serving states', async () => {
    const expected = { name: 'half_plus_two', ready: true, model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] };
    for (const p of ['/v1/models/half_plus_two', '/v1/models/half_plus_two/versions/1', '/v1/models/half_plus_two/labels/stable']) {
      const r = await send(url(p));
      expect(r.status, p).toBe(200);
      expect(r.json, p).toEqual(expected);
    }
  });

  it('metadata is a serving_default signature_def built from the model signature', async () => {
    const r = await send(url('/v1/models/simple/metadata'));
    expect(r.status).toBe(200);
    const tensor = (name: string) => ({ dtype: 'DT_INT32', tensor_shape: { dim: [{ size: '-1', name: '' }, { size: '16', name: '' }], unknown_rank: false }, name });
    expect(r.json).toEqual({
      model_spec: { name: 'simple', signature_name: '', version: '1' },
      metadata: {
        signature_def: {
          signature_def: {
            serving_default: {
              inputs: { INPUT0: tensor('INPUT0'), INPUT1: tensor('INPUT1') },
              outputs: { OUTPUT0: tensor('OUTPUT0'), OUTPUT1: tensor('OUTPUT1') },
              method_name: 'tensorflow/serving/predict',
            },
          },
        },
      },
    });
    const labelled = await send(url('/v1/models/half_plus_two/labels/stable/metadata'));
    expect(labelled.json.model_spec).toEqual({ name: 'half_plus_two', signature_name: '', version: '1' });
    expect(labelled.json.metadata.signature_def.signature_def.serving_default.inputs.x.dtype).toBe('DT_FLOAT');
  });
});

describe('errors come back as {"error": "..."} with the right status', () => {
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ['unknown model (the documented 404)', 'POST', '/v1/models/half:predict', 404, /model 'half' not found/],
    ['unknown version', 'POST', '/v1/models/half_plus_two/versions/7:predict', 404, /has no version '7'/],
    ['unknown label', 'POST', '/v1/models/half_plus_two/labels/canary:predict', 404, /has no label 'canary'/],
    ['version and label together', 'POST', '/v1/models/half_plus_two/versions/1/labels/stable:predict', 400, /version or a label, not both/],
    ['unknown verb', 'POST', '/v1/models/half_plus_two:explain', 404, /no route/],
    ['status of an unknown model', 'GET', '/v1/models/nope', 404, /model 'nope' not found/],
    ['status of an unknown label', 'GET', '/v1/models/half_plus_two/labels/canary', 404, /no label 'canary'/],
  ];
  for (const [what, method, p, status, message] of cases) {
    it(what, async () => {
      const r = await send(url(p!), method === 'POST' ? { body: '{"instances": [1.0]}' } : {});
      expect(r.status).toBe(status);
      expect(Object.keys(r.json)).toEqual(['error']);
      expect(r.json.error).toMatch(message);
    });
  }

  const bodies: [string, string, string, RegExp][] = [
    ['malformed JSON', 'half_plus_two', '{"instances": [1.0,', /malformed request body/],
    ['empty body', 'half_plus_two', '', /malformed request body/],
    ['both instances and inputs', 'half_plus_two', '{"instances": [1], "inputs": [1]}', /not both/],
    ['neither instances nor inputs', 'half_plus_two', '{"signature_name": "serving_default"}', /missing 'inputs' or 'instances'/],
    ['instances not a list', 'half_plus_two', '{"instances": 1}', /must be a list/],
    ['unknown signature', 'half_plus_two', '{"signature_name": "classify_objects", "instances": [1]}', /signature 'classify_objects' not found/],
    ['a string where a float is expected', 'half_plus_two', '{"instances": ["a"]}', /"a" is not a number/],
    ['a fraction for an INT32 input', 'simple', JSON.stringify({ inputs: { INPUT0: [[1.5, ...Array(15).fill(0)]], INPUT1: [Array(16).fill(0)] } }), /1.5 is not an integer \(INT32\)/],
    ['an integer beyond INT32', 'simple', JSON.stringify({ inputs: { INPUT0: [[2 ** 31, ...Array(15).fill(0)]], INPUT1: [Array(16).fill(0)] } }), /within the range of INT32/],
    ['a plain list for a model with several inputs', 'simple', '{"instances": [1, 2]}', /takes 2 inputs/],
    ['a missing named input', 'simple', JSON.stringify({ inputs: { INPUT0: [Array(16).fill(0)] } }), /requires input 'INPUT1'/],
    ['an unknown named input', 'half_plus_two', '{"instances": [{"x": 1, "z": 2}]}', /has no input 'z'/],
    ['ragged rows', 'mlp', JSON.stringify({ instances: [Array(256).fill(0), Array(255).fill(0)] }), /not a dense tensor/],
    ['a wrong row width', 'mlp', JSON.stringify({ instances: [Array(255).fill(0)] }), /has shape \[1,255\], model expects \[-1,256\]/],
    ['invalid base64', 'echo', '{"instances": [{"b64": "***"}]}', /not valid base64/],
    ['a number for a BYTES input', 'echo', '{"instances": [5]}', /is not a string/],
  ];
  for (const [what, model, body, message] of bodies) {
    it(what, async () => {
      const r = await send(url(`/v1/models/${model}:predict`), { body });
      expect(r.status).toBe(400);
      expect(Object.keys(r.json)).toEqual(['error']);
      expect(r.json.error).toMatch(message);
    });
  }
});
