// Seldon Core v1's gRPC API (seldon.protos.Seldon and seldon.protos.Model, Ferry's copy of Seldon's prediction.proto)
// on Ferry's gRPC port, called with grpc-js clients loaded from that proto as any grpc-js user would. The model is
// named in the metadata key `seldon` (the deployment, as Seldon's gateway routes on it); messages map onto the
// model's inputs as over REST. Numbers are checked against numpy (ONNX examples) and xgboost (tree fixtures).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/client.ts';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { expectClose, readXgboostCase, startWithModels, type XgboostCase } from './helpers/protocol-repository.ts';
import { REPO_ROOT, type RunningFerry } from './helpers/server.ts';

interface Value { numberValue?: number; stringValue?: string; boolValue?: boolean; listValue?: { values: Value[] }; structValue?: { fields: Record<string, Value> }; kind?: string }
interface Answer {
  data: { names: string[]; ndarray?: { values: Value[] }; tensor?: { shape: number[]; values: number[] } } | null;
  jsonData?: Value;
  meta: { puid: string; tags: Record<string, Value>; routing: Record<string, number>; requestPath: Record<string, string> };
}

/** A google.protobuf.Value as the JSON value it holds. */
const plain = (v: Value): unknown => {
  if (v.kind === 'listValue') return v.listValue!.values.map(plain);
  if (v.kind === 'structValue') return Object.fromEntries(Object.entries(v.structValue!.fields).map(([k, f]) => [k, plain(f)]));
  return v.kind === undefined ? null : v[v.kind as 'numberValue'];
};
const value = (x: unknown): Value => {
  if (Array.isArray(x)) return { listValue: { values: x.map(value) } };
  if (typeof x === 'number') return { numberValue: x };
  if (typeof x === 'string') return { stringValue: x };
  if (typeof x === 'boolean') return { boolValue: x };
  return { structValue: { fields: Object.fromEntries(Object.entries(x as object).map(([k, f]) => [k, value(f)])) } };
};
const ndarray = (x: unknown[]) => ({ data: { ndarray: value(x).listValue } });

let ferry: RunningFerry;
let seldon: GrpcServiceClient;
let model: GrpcServiceClient;
let softprob: XgboostCase;
let mlp: { inputs: { input: number[][] }; outputs: { logits: number[][] } }[];

beforeAll(async () => {
  ferry = await startWithModels({
    half_plus_two: { source: { example: 'half_plus_two' } },
    mlp: { source: { example: 'mlp' } },
    softprob: { source: { xgboost: 'multi_softprob' } },
    echo: { source: { echo: true } },
    wide_ints: { source: { folder: path.join(REPO_ROOT, 'test/fixtures/onnx/exact-models/wide_ints') } },
  }, [], { grpc: true });
  seldon = grpcClient('seldon.protos.Seldon', `127.0.0.1:${ferry.ports.grpcPort}`);
  model = grpcClient('seldon.protos.Model', `127.0.0.1:${ferry.ports.grpcPort}`);
  softprob = await readXgboostCase('multi_softprob');
  mlp = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/mlp.reference.json'), 'utf8'));
});
afterAll(async () => {
  seldon?.close();
  model?.close();
  await ferry?.stop();
});

const to = (deployment: string) => ({ metadata: { seldon: deployment, namespace: 'default' } });
const predict = (deployment: string, message: object) => seldon.call<Answer>('Predict', message, to(deployment));

describe('Seldon/Predict', () => {
  it('ndarray in, ndarray out, with output names, the request puid and tags, and meta.requestPath', async () => {
    const r = await predict('half_plus_two', { ...ndarray([[2.0], [3.0], [4.0]]), meta: { puid: 'abc', tags: { team: value('a'), n: value(7) } } });
    expect(r.data!.names).toEqual(['y']);
    expect(plain({ kind: 'listValue', listValue: r.data!.ndarray })).toEqual([3.0, 3.5, 4.0]);
    expect(r.meta.puid).toBe('abc');
    expect(Object.fromEntries(Object.entries(r.meta.tags).map(([k, v]) => [k, plain(v)]))).toEqual({ team: 'a', n: 7 });
    expect(r.meta.requestPath).toEqual({ half_plus_two: 'half_plus_two:1' });
    // Without a puid, one is made.
    expect((await predict('half_plus_two', ndarray([1.0]))).meta.puid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('tensor in, tensor out; a 2-D input: mlp logits match numpy, one name per column', async () => {
    const t = await predict('half_plus_two', { data: { tensor: { shape: [3], values: [2, 3, 4] } } });
    expect(t.data).toMatchObject({ names: ['y'], tensor: { shape: [3], values: [3, 3.5, 4] } });
    const c = mlp[1]!;
    const r = await predict('mlp', { data: { tensor: { shape: [4, 256], values: c.inputs.input.flat() } } });
    expect(r.data!.names).toEqual(Array.from({ length: 10 }, (_, i) => `logits:${i}`));
    expect(r.data!.tensor!.shape).toEqual([4, 10]);
    expect(expectClose(r.data!.tensor!.values, c.outputs.logits.flat(), 1e-5)).toEqual([]);
    const n = await predict('mlp', ndarray(c.inputs.input));
    expect(expectClose((plain({ kind: 'listValue', listValue: n.data!.ndarray }) as number[][]).flat(), c.outputs.logits.flat(), 1e-5)).toEqual([]);
  });

  it("named columns feed a tree model's inputs by name; its outputs come back as one table equal to xgboost's", async () => {
    const order = [4, 2, 0, 1, 3];
    const rows = softprob.rows.filter((row) => row.every((x) => x !== null)).slice(0, 4);
    const expected = softprob.rows.map((row, i) => ({ row, i })).filter(({ row }) => row.every((x) => x !== null)).slice(0, 4).map(({ i }) => i);
    const r = await predict('softprob', { data: { names: order.map((i) => softprob.feature_names[i]!), ndarray: value(rows.map((row) => order.map((i) => row[i]))).listValue } });
    expect(r.data!.names).toEqual(['probabilities:0', 'probabilities:1', 'probabilities:2', 'label']);
    const table = plain({ kind: 'listValue', listValue: r.data!.ndarray }) as number[][];
    const probabilities = expected.flatMap((i) => softprob.expected['probabilities']!.slice(i * 3, i * 3 + 3));
    expect(expectClose(table.flatMap((row) => row.slice(0, 3)), probabilities, 1e-6)).toEqual([]);
    expect(table.map((row) => row[3])).toEqual(expected.map((i) => softprob.expected['label']![i]));
  });

  it('a 64-bit integer output beyond 2^53 is refused, never rounded into a double; within it, exact', async () => {
    // wide_ints answers signed + 1 (an ONNX INT64 Add): 2^53 travels exactly as a double, 2^53 + 1 cannot.
    const exact = await predict('wide_ints', { jsonData: value({ signed: [5, -1, 2 ** 53 - 1], unsigned: [7] }) });
    expect(plain(exact.jsonData!)).toMatchObject({ signed_next: [6, 0, 2 ** 53], unsigned_out: [7] });
    // A tftensor carries 2^60 + 1 in exactly; the answer's table of doubles could not carry it out.
    const wide = { names: ['signed', 'unsigned'], tftensor: { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 1 }, { size: 2 }] }, int64_val: ['1152921504606846977', '7'] } };
    await expect(predict('wide_ints', { data: wide })).rejects.toMatchObject({
      code: 3, details: expect.stringMatching(/output 'signed_out' element 0 is 1152921504606846977, beyond 2\^53/),
    });
  });

  it('strData and binData feed a model with one BYTES input; jsonData takes named inputs and answers named outputs', async () => {
    const str = await predict('echo', { strData: 'hello' });
    expect(str.data!.names).toEqual(['text_bytes', 'length']);
    expect(plain({ kind: 'listValue', listValue: str.data!.ndarray })).toEqual([['hello', 5]]);
    const bin = await predict('echo', { binData: Buffer.from('bytes!') });
    expect(plain({ kind: 'listValue', listValue: bin.data!.ndarray })).toEqual([['bytes!', 6]]);
    const json = await predict('half_plus_two', { jsonData: value({ x: [2.0, 4.0] }) });
    expect(json.data ?? null).toBeNull();
    expect(plain(json.jsonData!)).toEqual({ y: [3.0, 4.0] });
  });

  it("tftensor (TensorFlow's TensorProto) in, tftensor of the output's own type out: typed values, tensor_content, one value for all", async () => {
    type TfAnswer = { data: { names: string[]; tftensor: { dtype: string; tensor_shape: { dim: { size: string }[] }; tensor_content: Buffer } } };
    const floats = (b: Buffer) => Array.from(new Float32Array(Uint8Array.from(b).buffer));
    const typed = await predict('half_plus_two', { data: { tftensor: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 3 }] }, float_val: [2, 3, 4] } } }) as unknown as TfAnswer;
    expect(typed.data.names).toEqual(['y']);
    expect(typed.data.tftensor.dtype).toBe('DT_FLOAT');
    expect(typed.data.tftensor.tensor_shape.dim.map((d) => Number(d.size))).toEqual([3]);
    expect(floats(typed.data.tftensor.tensor_content)).toEqual([3, 3.5, 4]);
    const broadcast = await predict('half_plus_two', { data: { tftensor: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 3 }] }, float_val: [2] } } }) as unknown as TfAnswer;
    expect(floats(broadcast.data.tftensor.tensor_content)).toEqual([3, 3, 3]);
    const c = mlp[1]!;
    const content = Buffer.from(Float32Array.from(c.inputs.input.flat()).buffer);
    const logits = await predict('mlp', { data: { tftensor: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 4 }, { size: 256 }] }, tensor_content: content } } }) as unknown as TfAnswer;
    expect(logits.data.tftensor.tensor_shape.dim.map((d) => Number(d.size))).toEqual([4, 10]);
    expect(expectClose(floats(logits.data.tftensor.tensor_content), c.outputs.logits.flat(), 1e-5)).toEqual([]);
    // Several outputs: one table of doubles, named by column.
    const rows = softprob.rows.filter((row) => row.every((x) => x !== null)).slice(0, 2) as number[][];
    const table = await predict('softprob', { data: { tftensor: { dtype: 'DT_DOUBLE', tensor_shape: { dim: [{ size: 2 }, { size: 5 }] }, double_val: rows.flat() } } }) as unknown as TfAnswer;
    expect(table.data.names).toEqual(['probabilities:0', 'probabilities:1', 'probabilities:2', 'label']);
    expect(table.data.tftensor.dtype).toBe('DT_DOUBLE');
    expect(table.data.tftensor.tensor_shape.dim.map((d) => Number(d.size))).toEqual([2, 4]);
    const cells = Array.from(new Float64Array(Uint8Array.from(table.data.tftensor.tensor_content).buffer));
    const used = softprob.rows.map((row, i) => ({ row, i })).filter(({ row }) => row.every((x) => x !== null)).slice(0, 2).map(({ i }) => i);
    expect(expectClose([0, 1].flatMap((r) => cells.slice(r * 4, r * 4 + 3)), used.flatMap((i) => softprob.expected['probabilities']!.slice(i * 3, i * 3 + 3)), 1e-6)).toEqual([]);
    expect([cells[3], cells[7]]).toEqual(used.map((i) => softprob.expected['label']![i]));
  });

  it('names the model by the seldon metadata key, else ferry-model; with several models and neither, says how', async () => {
    const named = await seldon.call<Answer>('Predict', ndarray([8.0]), { metadata: { 'ferry-model': 'half_plus_two' } });
    expect(plain({ kind: 'listValue', listValue: named.data!.ndarray })).toEqual([6.0]);
    await expect(seldon.call('Predict', ndarray([8.0]))).rejects.toMatchObject({
      code: 3, details: expect.stringMatching(/5 models are ready .*'seldon' \(the deployment/),
    });
  });
});

describe('Model/Predict, metadata and feedback', () => {
  it("the component service answers as the gateway's does", async () => {
    const r = await model.call<Answer>('Predict', { data: { tensor: { shape: [2], values: [2, 8] } } }, to('half_plus_two'));
    expect(r.data!.tensor!.values).toEqual([3, 6]);
    const metadata = await model.call<{ name: string; inputs: { name: string; datatype: string; shape: string[] }[] }>('Metadata', {}, to('mlp'));
    expect(metadata).toMatchObject({ name: 'mlp', platform: 'onnxruntime_onnx', versions: ['1'] });
    expect(metadata.inputs.map((t) => ({ ...t, shape: t.shape.map(Number) }))).toMatchObject([{ name: 'input', datatype: 'FP32', shape: [-1, 256] }]);
    expect(await seldon.call('ModelMetadata', { name: 'half_plus_two' }, to('mlp'))).toMatchObject({ name: 'half_plus_two' });
    expect(await seldon.call('GraphMetadata', {}, to('half_plus_two'))).toMatchObject({ name: 'half_plus_two', models: { half_plus_two: { name: 'half_plus_two' } } });
  });

  it('SendFeedback is accepted (counted in the feedback metric) and answered with a SeldonMessage; an unknown model is NOT_FOUND', async () => {
    const metric = async () => Number((await (await fetch(`${ferry.url}/metrics`)).text()).match(/ferry_feedback_total\{model="half_plus_two"\} (\d+)/)?.[1] ?? 0);
    const before = await metric();
    for (const client of [seldon, model]) {
      const r = await client.call<Answer>('SendFeedback', { request: ndarray([2.0]), response: ndarray([3.0]), reward: 0.75, truth: ndarray([3.0]) }, to('half_plus_two'));
      expect(r).toMatchObject({ data: { names: [], ndarray: { values: [] } }, meta: { requestPath: { half_plus_two: 'half_plus_two:1' } } });
    }
    expect(await metric()).toBe(before + 2);
    await expect(seldon.call('SendFeedback', { reward: 1 }, to('nope'))).rejects.toMatchObject({ code: 5, details: "model 'nope' not found" });
  });
});

describe('errors are gRPC statuses from the catalogue, with the FERRY_ERR_* code in the trailer', () => {
  const cases: [string, string, object, number, RegExp][] = [
    ['unknown model', 'nope', ndarray([1]), 5, /model 'nope' not found/],
    ['no payload', 'half_plus_two', { meta: { puid: 'x' } }, 3, /needs one of data, strData, binData or jsonData/],
    ['data without ndarray or tensor', 'half_plus_two', { data: { names: ['x'] } }, 3, /'data' needs 'ndarray' or 'tensor'/],
    ['tensor values not matching the shape', 'half_plus_two', { data: { tensor: { shape: [3], values: [1, 2] } } }, 3, /has 2 elements, its shape \[3\] needs 3/],
    ['strData to a numeric model', 'half_plus_two', { strData: 'hello' }, 3, /strData needs a model with one BYTES input/],
    ['a tftensor whose values do not fill its shape', 'half_plus_two', { data: { tftensor: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 3 }] }, float_val: [1, 2] } } }, 3, /has 2 elements, its shape \[3\] needs 3/],
    ['a tftensor of a type Ferry does not read', 'half_plus_two', { data: { tftensor: { dtype: 'DT_COMPLEX64', tensor_shape: { dim: [{ size: 1 }] }, scomplex_val: [1, 0] } } }, 3, /tftensor dtype 8 is not one Ferry reads/],
    ['tftensor content that is not whole elements', 'half_plus_two', { data: { tftensor: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 }] }, tensor_content: Buffer.alloc(6) } } }, 3, /holds 6 bytes, not whole 4-byte elements/],
    ['customData', 'half_plus_two', { customData: { type_url: 'x', value: Buffer.from('') } }, 3, /customData \(protobuf Any\) is not supported/],
    ['jsonData that is not the inputs', 'half_plus_two', { jsonData: value({ a: 1 }) }, 3, /jsonData must be an object of the model's inputs/],
    ['a string for a float input', 'half_plus_two', ndarray(['a']), 3, /"a" is not a number/],
    ['a 1-D array for several inputs', 'softprob', ndarray([1, 2, 3, 4, 5]), 3, /send a 2-D table/],
  ];
  for (const [what, deployment, message, code, details] of cases) {
    it(what, async () => {
      const failure = await predict(deployment, message).then(() => undefined, (error: { code: number; details: string; metadata: { get(k: string): unknown[] } }) => error);
      expect(failure).toMatchObject({ code, details: expect.stringMatching(details) });
      expect(String(failure!.metadata.get('ferry-error-code')[0])).toMatch(/^FERRY_ERR_/);
    });
  }

  it('a message that is not a SeldonMessage is INVALID_ARGUMENT, and the server keeps serving', async () => {
    const raw = await import('@grpc/grpc-js');
    const client = new raw.Client(`127.0.0.1:${ferry.ports.grpcPort}`, raw.credentials.createInsecure());
    const failure = await new Promise<{ code: number; details: string }>((resolve) => {
      client.makeUnaryRequest('/seldon.protos.Seldon/Predict', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x1a, 0xff, 0xff]), (error) => resolve(error as never));
    });
    client.close();
    expect(failure).toMatchObject({ code: 3, details: expect.stringMatching(/not a valid SeldonMessage protobuf message/) });
    expect((await predict('half_plus_two', ndarray([2.0]))).data!.names).toEqual(['y']);
  });
});

describe('graphs over Seldon gRPC', () => {
  let graphs: GraphServer;
  let client: GrpcServiceClient;
  beforeAll(async () => {
    graphs = await startGraphServer({
      examples: ['half_plus_two'], scripted: { triple: { scale: 3 } },
      deployments: {
        abtest: `
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata: {name: abtest}
spec:
  predictors:
  - name: main
    graph:
      name: random-ab-test
      implementation: RANDOM_ABTEST
      parameters: [{name: ratioA, value: "0.5", type: FLOAT}]
      children: [{name: half_plus_two, type: MODEL}, {name: triple, type: MODEL}]
`,
      },
    });
    client = grpcClient('seldon.protos.Seldon', `127.0.0.1:${graphs.ports.grpcPort}`);
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await graphs?.stop();
  });

  it("meta.routing names the arm that answered by its index, and feedback naming the answer's puid or routing reaches that arm", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await client.call<Answer>('Predict', ndarray([4]), to('abtest'));
      const arm = r.meta.routing['random-ab-test']!;
      expect(plain({ kind: 'listValue', listValue: r.data!.ndarray })).toEqual([arm === 0 ? 4 : 12]);
      seen.add(arm);
      // By routing (the answer as the client got it), then by the puid alone.
      await client.call('SendFeedback', { response: { meta: { routing: r.meta.routing } }, reward: 1 }, to('abtest'));
      await client.call('SendFeedback', { response: { meta: { puid: r.meta.puid } }, reward: 1 }, to('abtest'));
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const metrics = await (await fetch(`${graphs.url}/metrics`)).text();
    const credited = (arm: string) => Number(metrics.match(new RegExp(`ferry_graph_arm_feedback_total\\{graph="abtest",router="random-ab-test",arm="${arm}"\\} (\\d+)`))?.[1] ?? 0);
    expect(credited('half_plus_two') + credited('triple')).toBeGreaterThanOrEqual(4);
    expect(credited('half_plus_two') % 2).toBe(0);
    await expect(client.call('SendFeedback', { response: { meta: { puid: 'never-answered' } }, reward: 1 }, to('abtest'))).rejects.toMatchObject({ code: expect.any(Number), details: expect.stringMatching(/never-answered/) });
  });
});
