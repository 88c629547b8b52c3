// Tabular models (XGBoost, LightGBM, scikit-learn pipelines, PMML) take any numeric datatype for a numeric feature
// over V2 REST (JSON and the binary extension) and V2 gRPC, and answer what their library answers for those values;
// BYTES is refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { relativeMismatches } from './fixtures/examples/references.ts';
import { getJson, postJson, REPO_ROOT, startFerry, type RunningFerry } from './helpers/server.ts';
import { postV2Binary, rawBytesElements } from './helpers/v2-binary.ts';

const PYTHON = process.env.FERRY_TEST_PYTHON ?? '/usr/bin/python3';
const MAKE_MODELS = path.join(REPO_ROOT, 'test/fixtures/tabular-datatypes/make_models.py');
const DATATYPES = ['FP32', 'INT32', 'UINT8', 'BOOL'] as const;
type Datatype = (typeof DATATYPES)[number];

interface TypedCase { inputs: Record<string, (number | boolean | string)[]>; expected: Record<string, number[]> }
interface ModelCases { library: string; cases: Record<Datatype, TypedCase> }

/** The numeric features of each model and the datatype its metadata declares for them; others are BYTES. */
const MODELS: Record<string, { numeric: Record<string, string>; categorical: string[] }> = {
  xgboost_typed: { numeric: { a: 'FP32', b: 'FP32', c: 'FP32', d: 'FP32' }, categorical: [] },
  lightgbm_typed: { numeric: { amount: 'FP64', age: 'FP64' }, categorical: ['channel'] },
  sklearn_typed: { numeric: { a: 'FP64', b: 'FP64', c: 'FP64', d: 'FP64' }, categorical: [] },
  sklearn_tree_typed: { numeric: { a: 'FP64', b: 'FP64', c: 'FP64', d: 'FP64' }, categorical: [] },
  pmml_typed: { numeric: { a: 'FP64', b: 'FP64', c: 'FP64', d: 'FP32' }, categorical: [] },
};

/** XGBoost computes in float32 and answers float32 values: they must be its very numbers. */
const TOLERANCE: Record<string, number> = { xgboost_typed: 0, pmml_typed: 1e-12 };

let scratch: string;
let cases: Record<string, ModelCases>;
let ferry: RunningFerry;
let client: GrpcServiceClient;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-typed-'));
  await promisify(execFile)(PYTHON, [MAKE_MODELS, scratch], { env: { ...process.env, PYTHONWARNINGS: 'ignore' }, timeout: 120_000 });
  cases = JSON.parse(await readFile(path.join(scratch, 'cases.json'), 'utf8')) as Record<string, ModelCases>;
  ferry = await startFerry({ model_repository: scratch });
  client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
}, 180_000);

afterAll(async () => {
  client?.close();
  await ferry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function v2Inputs(model: string, datatype: Datatype, typed: TypedCase) {
  return Object.entries(typed.inputs).map(([name, data]) => ({
    name, datatype: MODELS[model]!.categorical.includes(name) ? 'BYTES' : datatype, shape: [data.length], data,
  }));
}

const CONTENTS: Record<Datatype | 'BYTES', string> = { FP32: 'fp32_contents', INT32: 'int_contents', UINT8: 'uint_contents', BOOL: 'bool_contents', BYTES: 'bytes_contents' };

function grpcInputs(model: string, datatype: Datatype, typed: TypedCase) {
  return v2Inputs(model, datatype, typed).map((input) => ({
    name: input.name, datatype: input.datatype, shape: input.shape,
    contents: { [CONTENTS[input.datatype as Datatype | 'BYTES']]: input.datatype === 'BYTES' ? input.data.map((s) => Buffer.from(String(s))) : input.data },
  }));
}

interface GrpcOutput { name: string; datatype: string }
interface GrpcResponse { outputs: GrpcOutput[]; raw_output_contents: Buffer[] }

/** An input's elements as the binary extension lays them out (BOOL one byte each, BYTES length-prefixed). */
function binaryOf(datatype: string, data: readonly (number | boolean | string)[]): Uint8Array {
  switch (datatype) {
    case 'FP32': return new Uint8Array(Float32Array.from(data as number[]).buffer);
    case 'INT32': return new Uint8Array(Int32Array.from(data as number[]).buffer);
    case 'UINT8': return Uint8Array.from(data as number[]);
    case 'BOOL': return Uint8Array.from(data, (v) => (v ? 1 : 0));
    default: return rawBytesElements(data.map((v) => Buffer.from(String(v))));
  }
}

const float64s = (b: Buffer) => Array.from(new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));

describe.each(Object.keys(MODELS))('%s', (model) => {
  it('declares the datatype its library computes in for numeric features', async () => {
    const { status, body } = await getJson(`${ferry.url}/v2/models/${model}`);
    expect(status).toBe(200);
    const declared = Object.fromEntries((body.inputs as { name: string; datatype: string }[]).map((i) => [i.name, i.datatype]));
    expect(declared).toEqual({ ...MODELS[model]!.numeric, ...Object.fromEntries(MODELS[model]!.categorical.map((c) => [c, 'BYTES'])) });
  });

  it.each(DATATYPES)('%s inputs over V2 REST answer what the library answers', async (datatype) => {
    const typed = cases[model]!.cases[datatype];
    const { status, body } = await postJson(`${ferry.url}/v2/models/${model}/infer`, { inputs: v2Inputs(model, datatype, typed) });
    expect(status, JSON.stringify(body)).toBe(200);
    for (const [output, expected] of Object.entries(typed.expected)) {
      const tensor = (body.outputs as { name: string; data: number[] }[]).find((o) => o.name === output)!;
      expect(relativeMismatches(tensor.data, expected, TOLERANCE[model] ?? 1e-9), `${output} vs ${cases[model]!.library}`).toEqual([]);
    }
  });

  it.each(DATATYPES)('%s inputs over V2 gRPC answer what the library answers', async (datatype) => {
    const typed = cases[model]!.cases[datatype];
    const response = await client.call<GrpcResponse>('ModelInfer', { model_name: model, inputs: grpcInputs(model, datatype, typed) });
    for (const [output, expected] of Object.entries(typed.expected)) {
      const index = response.outputs.findIndex((o) => o.name === output);
      expect(response.outputs[index]!.datatype).toBe('FP64');
      expect(relativeMismatches(float64s(response.raw_output_contents[index]!), expected, TOLERANCE[model] ?? 1e-9), output).toEqual([]);
    }
  });

  it.each(DATATYPES)('%s inputs in the V2 REST binary extension answer what the library answers', async (datatype) => {
    const typed = cases[model]!.cases[datatype];
    const inputs = v2Inputs(model, datatype, typed);
    const blobs = inputs.map((input) => binaryOf(input.datatype, input.data));
    const header = {
      inputs: inputs.map((input, k) => ({ name: input.name, datatype: input.datatype, shape: input.shape, parameters: { binary_data_size: blobs[k]!.byteLength } })),
    };
    const answer = await postV2Binary(`${ferry.url}/v2/models/${model}/infer`, header, blobs);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    for (const [output, expected] of Object.entries(typed.expected)) {
      const tensor = (answer.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === output)!;
      expect(relativeMismatches(tensor.data, expected, TOLERANCE[model] ?? 1e-9), output).toEqual([]);
    }
  });

  it('requests in different datatypes at once (batched together) each answer their own rows', async () => {
    const answers = await Promise.all(DATATYPES.map((datatype) =>
      postJson(`${ferry.url}/v2/models/${model}/infer`, { inputs: v2Inputs(model, datatype, cases[model]!.cases[datatype]) })));
    DATATYPES.forEach((datatype, k) => {
      expect(answers[k]!.status).toBe(200);
      for (const [output, expected] of Object.entries(cases[model]!.cases[datatype].expected)) {
        const tensor = (answers[k]!.body.outputs as { name: string; data: number[] }[]).find((o) => o.name === output)!;
        expect(relativeMismatches(tensor.data, expected, TOLERANCE[model] ?? 1e-9), `${datatype} ${output}`).toEqual([]);
      }
    });
  });

  it('refuses text for a numeric feature with the datatype it computes in, over REST and gRPC', async () => {
    const typed = cases[model]!.cases.INT32;
    const [feature, computes] = Object.entries(MODELS[model]!.numeric)[0]!;
    const message = `input '${feature}' has datatype BYTES, model expects a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in ${computes})`;
    const inputs = v2Inputs(model, 'INT32', typed).map((i) => (i.name === feature ? { ...i, datatype: 'BYTES', data: i.data.map(String) } : i));
    const rest = await postJson(`${ferry.url}/v2/models/${model}/infer`, { inputs });
    expect(rest.status).toBe(400);
    expect(rest.body).toEqual({ error: message });
    const grpc = grpcInputs(model, 'INT32', typed).map((i) => (i.name === feature
      ? { ...i, datatype: 'BYTES', contents: { bytes_contents: typed.inputs[feature]!.map((v) => Buffer.from(String(v))) } }
      : i));
    const failure = await client.call('ModelInfer', { model_name: model, inputs: grpc }).then(() => undefined, (e: ServiceError) => e);
    expect(failure?.code).toBe(3); // INVALID_ARGUMENT
    expect(failure?.details).toBe(message);
  });
});
