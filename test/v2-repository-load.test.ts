// Triton's model repository extension, load with parameters: `config` (the model configuration as JSON, validated
// and applied until a load without one) and `file:<version>/<path>` (a model version uploaded in the request:
// stored in the repository, loaded and served; size-limited by repository.upload_max_bytes; a version that does not
// load leaves the repository as it was). Over REST (base64) and gRPC (bytes_param), with a write token.
import { cp, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { EXAMPLE_MODELS, getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

const TOKEN = 'w'.repeat(24);
const UPLOAD_LIMIT = 64 * 1024;
const AUTH = { authorization: `Bearer ${TOKEN}` };
let root: string;
let ferry: RunningFerry;
let client: GrpcServiceClient;
let halfPlusTwo: Buffer;
let mlp: Buffer;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ferry-upload-'));
  await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(root, 'twice'), { recursive: true });
  await cp(path.join(EXAMPLE_MODELS, 'half_plus_two', '1'), path.join(root, 'twice', '2'), { recursive: true });
  await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(root, 'kept'), { recursive: true });
  await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'simple'), { recursive: true });
  halfPlusTwo = await readFile(path.join(EXAMPLE_MODELS, 'half_plus_two', '1', 'model.onnx'));
  mlp = await readFile(path.join(EXAMPLE_MODELS, 'mlp', '1', 'model.onnx'));
  ferry = await startFerry({
    model_repository: root,
    grpc: { enabled: true },
    repository: { upload_max_bytes: UPLOAD_LIMIT },
    auth: { tokens: [{ name: 'deployer', token: TOKEN, scopes: ['write'] }] },
  });
  client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  client.close();
  await ferry.stop();
  await rm(root, { recursive: true, force: true });
});

const load = (model: string, parameters?: Record<string, string>, headers: Record<string, string> = AUTH) =>
  postJson(`${ferry.url}/v2/repository/models/${model}/load`, parameters === undefined ? {} : { parameters }, headers);
const HALF_CONFIG = JSON.stringify({
  name: 'uploaded', backend: 'onnxruntime', max_batch_size: 0,
  input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1] }], output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [-1] }],
});
const halfPlusTwoOf = async (model: string, version?: string) => {
  const at = version === undefined ? '' : `/versions/${version}`;
  return postJson(`${ferry.url}/v2/models/${model}${at}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [2, 3, -4] }] });
};
const versionsReady = async (model: string) => (await postJson(`${ferry.url}/v2/repository/index`, { ready: true })).body
  .filter((e: { name: string }) => e.name === model).map((e: { version: string }) => e.version);

describe('repository load with uploaded files', () => {
  it('stores an uploaded version in the repository, loads it and serves it (y = x/2 + 2)', async () => {
    const r = await load('uploaded', { config: HALF_CONFIG, 'file:1/model.onnx': halfPlusTwo.toString('base64') });
    expect(r).toMatchObject({ status: 200, body: {} });
    expect(await readFile(path.join(root, 'uploaded', '1', 'model.onnx'))).toEqual(halfPlusTwo);
    const served = await halfPlusTwoOf('uploaded');
    expect(served.body.outputs[0].data).toEqual([3, 3.5, 0]);
    // Nothing of the upload is left beside the model folders.
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('replaces a version folder whole, and serves a new version once it is AVAILABLE', async () => {
    const config = JSON.stringify({ name: 'kept', backend: 'onnxruntime' });
    expect((await load('kept', { config, 'file:2/model.onnx': halfPlusTwo.toString('base64') })).status).toBe(200);
    expect(await versionsReady('kept')).toEqual(['2']);
    expect((await halfPlusTwoOf('kept')).body.model_version).toBe('2');
  });

  it('over gRPC, files come as bytes_param', async () => {
    await client.call('RepositoryModelLoad', {
      model_name: 'uploaded_grpc',
      parameters: { config: { string_param: '{"backend": "onnxruntime"}' }, 'file:3/model.onnx': { bytes_param: halfPlusTwo } },
    }, { metadata: AUTH });
    expect((await halfPlusTwoOf('uploaded_grpc')).body).toMatchObject({ model_version: '3', outputs: [{ data: [3, 3.5, 0] }] });
  });

  it('a version that does not load is refused and leaves the repository and what serves as they were', async () => {
    const corrupt = Buffer.from('not an onnx model at all').toString('base64');
    const fresh = await load('broken', { config: '{}', 'file:1/model.onnx': corrupt });
    expect(fresh.status).toBe(400);
    expect(fresh.body.error).toMatch(/^failed to load model 'broken': /);
    await expect(stat(path.join(root, 'broken'))).rejects.toMatchObject({ code: 'ENOENT' });

    const replacing = await load('uploaded', { config: HALF_CONFIG, 'file:1/model.onnx': corrupt });
    expect(replacing.status).toBe(400);
    expect(await readFile(path.join(root, 'uploaded', '1', 'model.onnx'))).toEqual(halfPlusTwo);
    expect((await halfPlusTwoOf('uploaded')).body.outputs[0].data).toEqual([3, 3.5, 0]);
  });

  it('refuses uploads beyond repository.upload_max_bytes with 413 naming the setting', async () => {
    const big = Buffer.alloc(UPLOAD_LIMIT + 1).toString('base64');
    const r = await load('too_big', { config: '{}', 'file:1/model.onnx': big });
    expect(r.status).toBe(413);
    expect(r.body.error).toBe(`upload of model 'too_big' is ${UPLOAD_LIMIT + 1} bytes, more than the limit of ${UPLOAD_LIMIT} bytes (setting: repository.upload_max_bytes / FERRY_REPOSITORY_UPLOAD_MAX_BYTES)`);
    // The mlp (its ONNX file is larger than the limit) cannot be uploaded either.
    expect(mlp.length).toBeGreaterThan(UPLOAD_LIMIT);
  });

  it('refuses paths that leave the version folder, files without a config, and text that is not base64', async () => {
    const data = halfPlusTwo.toString('base64');
    const cases: [Record<string, string>, RegExp][] = [
      [{ config: '{}', 'file:../escape/model.onnx': data }, /'\.\.\/escape\/model\.onnx' does not start with a version folder/],
      [{ config: '{}', 'file:1/../../escape.onnx': data }, /'1\/\.\.\/\.\.\/escape\.onnx' is not a relative path of plain names/],
      [{ config: '{}', 'file:1/.hidden': data }, /is not a relative path of plain names/],
      [{ config: '{}', 'file:model.onnx': data }, /does not start with a version folder/],
      [{ config: '{}', 'file:1': data }, /names a version folder, not a file in it/],
      [{ 'file:1/model.onnx': data }, /uploaded files need the 'config' parameter too/],
      [{ config: '{}', 'file:1/model.onnx': 'not base64!' }, /'file:1\/model\.onnx' is not base64/],
      [{ config: '{}', version: '1' }, /unknown load parameter 'version'/],
    ];
    for (const [parameters, message] of cases) {
      const r = await load('escapee', parameters);
      expect(r.status, JSON.stringify(Object.keys(parameters))).toBe(400);
      expect(r.body.error).toMatch(message);
    }
    expect((await readdir(root)).sort()).toEqual(['kept', 'simple', 'twice', 'uploaded', 'uploaded_grpc']);
  });

  it('needs a write token', async () => {
    expect((await load('uploaded', { config: HALF_CONFIG }, {})).status).toBe(401);
  });
});

describe('repository load with a configuration', () => {
  it('applies a version policy until a load without a configuration', async () => {
    expect(await versionsReady('twice')).toEqual(['2']);
    expect((await load('twice', { config: JSON.stringify({ version_policy: { all: {} } }) })).status).toBe(200);
    expect(await versionsReady('twice')).toEqual(['1', '2']);
    expect((await halfPlusTwoOf('twice', '1')).status).toBe(200);
    expect((await load('twice', { config: JSON.stringify({ version_policy: { specific: { versions: [1] } } }) })).status).toBe(200);
    expect(await versionsReady('twice')).toEqual(['1']);
    expect((await load('twice')).status).toBe(200);
    expect(await versionsReady('twice')).toEqual(['2']);
  });

  it('refuses malformed and unknown configurations with 400, and keeps serving', async () => {
    const cases: [string, RegExp][] = [
      ['{"version_policy": ', /^failed to load model 'twice': its configuration is refused: the config parameter is not JSON: /],
      ['"parameters": {"config": {{"max_batch_size": "16"}}}', /^failed to load model 'twice': its configuration is refused: the config parameter is not JSON: /],
      ['{"max_batch_size": "sixteen"}', /max_batch_size/],
      ['{"sequence_batching": {}}', /refused: \(root\): unknown key sequence_batching; known keys: name \| /],
      ['{"name": "other"}', /its name 'other' is not the model's/],
      ['{"backend": "tensorrt"}', /backend 'tensorrt' is not one Ferry runs/],
      ['{"input": [{"name": "x", "data_type": "TYPE_FLOAT"}]}', /input\.0\.data_type/],
      ['{"instance_group": [{"kind": "KIND_GPU"}]}', /instance_group\.0\.kind/],
      ['{"output": [{"name": "y", "label_filename": "classes.txt"}]}', /class labels are read from the model folder's labels\.txt/],
    ];
    for (const [config, message] of cases) {
      const r = await load('twice', { config });
      expect(r.status, config).toBe(400);
      expect(r.body.error, config).toMatch(message);
    }
    // A configuration that does not fit the model is refused when the model loads with it; the last one stays.
    const wrongName = await load('twice', { config: JSON.stringify({ input: [{ name: 'features', data_type: 'TYPE_FP32' }] }) });
    expect(wrongName.status).toBe(400);
    expect(wrongName.body.error).toBe("failed to load model 'twice': version 2: model.yaml overrides 'features', which the model does not have (has: x)");
    expect((await halfPlusTwoOf('twice')).body.outputs[0].data).toEqual([3, 3.5, 0]);
  });

  it('reads integers as protobuf JSON writes them, digits in strings included', async () => {
    const config = JSON.stringify({ max_batch_size: '4', input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [] }], version_policy: { latest: { num_versions: '2' } } });
    expect((await load('twice', { config })).status).toBe(200);
    expect(await versionsReady('twice')).toEqual(['1', '2']);
    // max_batch_size > 0: dims leave out the batch dimension, so [] is Ferry's [-1].
    expect((await (await fetch(`${ferry.url}/v2/models/twice`)).json() as { inputs: unknown[] }).inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1] }]);
  });

  it('takes back the configuration GET /config answers', async () => {
    const config = (await (await fetch(`${ferry.url}/v2/models/twice/config`)).text());
    expect((await load('twice', { config })).status).toBe(200);
    expect(await versionsReady('twice')).toEqual(['2']);
  });
});

describe("a configuration's max_batch_size", () => {
  const rowsOf = (n: number) => Array.from({ length: n * 16 }, (_, i) => i - 100);
  const simpleInfer = (rows: number) => postJson(`${ferry.url}/v2/models/simple/infer`, {
    inputs: ['INPUT0', 'INPUT1'].map((name, k) => ({ name, datatype: 'INT32', shape: [rows, 16], data: rowsOf(rows).map((v) => v * (k + 1)) })),
  });

  it('is what GET /config and gRPC ModelConfig report, dims leaving out the batch dimension', async () => {
    expect((await getJson(`${ferry.url}/v2/models/simple/config`)).body.max_batch_size).toBe(0);
    expect((await load('simple', { config: '{"max_batch_size":"16"}' })).status).toBe(200);
    const rest = (await getJson(`${ferry.url}/v2/models/simple/config`)).body;
    expect(rest).toMatchObject({ max_batch_size: 16, input: [{ name: 'INPUT0', dims: [16] }, { name: 'INPUT1', dims: [16] }], output: [{ name: 'OUTPUT0', dims: [16] }, { name: 'OUTPUT1', dims: [16] }] });
    const { config } = await client.call<{ config: { max_batch_size: number; input: { dims: string[] }[] } }>('ModelConfig', { name: 'simple' });
    expect(config.max_batch_size).toBe(16);
    expect(config.input.map((t) => t.dims.map(Number))).toEqual([[16], [16]]);
    // The metadata keeps Ferry's full shapes, batch dimension included.
    expect((await getJson(`${ferry.url}/v2/models/simple`)).body.inputs[0].shape).toEqual([-1, 16]);
  });

  it('bounds the rows of a request: 16 rows are served, 17 are refused in each protocol error shape', async () => {
    const served = await simpleInfer(16);
    expect(served.status).toBe(200);
    const a = rowsOf(16);
    expect(served.body.outputs.find((o: { name: string }) => o.name === 'OUTPUT0').data).toEqual(a.map((v) => v + 2 * v));
    const refused = await simpleInfer(17);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("inference request batch-size must be <= 16 for 'simple': input 'INPUT0' has 17 rows (model.yaml max_request_rows)");
    await expect(client.call('ModelInfer', {
      model_name: 'simple',
      inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [17, 16], contents: { int_contents: rowsOf(17) } })),
    })).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/batch-size must be <= 16/) });
  });

  it('is taken back by a load with the configuration GET /config answers, and dropped by a load without one', async () => {
    const config = await (await fetch(`${ferry.url}/v2/models/simple/config`)).text();
    expect((await load('simple', { config })).status).toBe(200);
    expect((await getJson(`${ferry.url}/v2/models/simple/config`)).body).toMatchObject({ max_batch_size: 16, input: [{ dims: [16] }, { dims: [16] }] });
    expect((await load('simple')).status).toBe(200);
    expect((await getJson(`${ferry.url}/v2/models/simple/config`)).body).toMatchObject({ max_batch_size: 0, input: [{ dims: [-1, 16] }, { dims: [-1, 16] }] });
    expect((await simpleInfer(17)).status).toBe(200);
  });
});
