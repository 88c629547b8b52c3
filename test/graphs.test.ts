import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReference } from './fixtures/examples/references.ts';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { getJson, postJson } from './helpers/server.ts';
import { grpcClient } from '../src/protocol/v2-grpc/index.ts';

const CHAIN = `
nodes:
  - name: prep
    type: transformer
    steps:
      - rename: {value: x}
      - standardize: {x: {mean: [1], std: [2]}}
      - cast: {x: FP32}
  - name: model
    type: model
    model: half_plus_two
    inputs: [prep]
  - name: post
    type: output_transformer
    inputs: [model]
    steps:
      - rename: {y: score}
`;

/** fraud_lightgbm and churn_sklearn both answer [N, 2] probabilities: the ensembles combine them. */
const ensemble = (method: string, extra = '') => `
nodes:
  - {name: fraud, type: model, model: fraud_lightgbm}
  - {name: churn, type: model, model: churn_sklearn}
  - name: pick_churn
    type: transformer
    inputs: [churn]
    steps: [{rename: {predict_proba: probabilities}}, {select: [probabilities]}]
  - name: vote
    type: combiner
    method: ${method}
    inputs: [fraud, pick_churn]
    output: probabilities
${extra}
`;

const BROKEN = {
  unknown_model: 'nodes:\n  - {name: first, type: model, model: no_such_model}\n',
  cycle: 'nodes:\n  - {name: a, type: transformer, inputs: [b], steps: [{select: [x]}]}\n  - {name: b, type: transformer, inputs: [a], steps: [{select: [x]}]}\n',
  weights: `nodes:
  - {name: one, type: model, model: half_plus_two}
  - {name: two, type: model, model: half_plus_two}
  - name: canary
    type: router
    policy: split
    arms: [{name: stable, node: one, weight: 0.9}, {name: canary, node: two, weight: 0.2}]
`,
  mismatch: `nodes:
  - {name: prep, type: transformer, steps: [{rename: {y: x}}, {cast: {x: INT32}}], inputs: [start]}
  - {name: start, type: model, model: half_plus_two}
  - {name: model, type: model, model: half_plus_two, inputs: [prep]}
`,
};

describe('inference graphs', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({
      examples: ['half_plus_two', 'fraud_lightgbm', 'churn_sklearn'],
      deployments: {
        chain: CHAIN,
        average: ensemble('average'),
        weighted: ensemble('weighted_average', '    weights: [0.25, 0.75]'),
        maximum: ensemble('max'),
        concat: ensemble('concat'),
        majority: ensemble('majority_vote'),
        ...BROKEN,
      },
    });
  }, 60_000);
  afterAll(() => ferry.stop());

  it('runs transformer -> model -> output transformer over V2 REST (y = x/2 + 2 after standardizing)', async () => {
    const values = [1, 3, -5, 11];
    const { status, body } = await postJson(`${ferry.url}/v2/models/chain/infer`, { id: 'r1', inputs: [{ name: 'value', datatype: 'FP64', shape: [4], data: values }] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'chain', model_version: '1', id: 'r1' });
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'score', datatype: 'FP32', shape: [4] });
    const expected = values.map((v) => (v - 1) / 2 / 2 + 2);
    body.outputs[0].data.forEach((y: number, i: number) => expect(y).toBeCloseTo(expected[i]!, 6));
  });

  it('advertises the signature it worked out at load: inputs of the first model through the transformer, outputs of the last node', async () => {
    const { status, body } = await getJson(`${ferry.url}/v2/models/chain`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'chain', platform: 'ferry_graph', inputs: [{ name: 'value', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'score', datatype: 'FP32', shape: [-1] }] });
    expect((await fetch(`${ferry.url}/v2/models/chain/ready`)).status).toBe(200);
  });

  it('answers on TF Serving, Seldon and V2 gRPC as a model does', async () => {
    const tf = await postJson(`${ferry.url}/v1/models/chain:predict`, { instances: [3] });
    expect(tf.status).toBe(200);
    expect(tf.body.predictions[0]).toBeCloseTo(2.5, 6);
    const seldon = await postJson(`${ferry.url}/seldon/chain/api/v1.0/predictions`, { data: { ndarray: [3, 5] } });
    expect(seldon.status).toBe(200);
    expect(seldon.body.data.ndarray[0]).toBeCloseTo(2.5, 6);
    expect(seldon.body.data.ndarray[1]).toBeCloseTo(3, 6);
    const client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
    try {
      const response = await client.call<any>('ModelInfer', { model_name: 'chain', inputs: [{ name: 'value', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 9] } }] });
      expect(response.model_name).toBe('chain');
      const y = new Float32Array(new Uint8Array(response.raw_output_contents[0]).buffer);
      expect([...y]).toEqual([2, 4]);
    } finally {
      client.close();
    }
  });

  describe('combiners over LightGBM and scikit-learn models (their libraries\' own predictions as reference)', async () => {
    const fraud = await readReference('fraud_lightgbm');
    const churn = await readReference('churn_sklearn');
    const rows = Math.min(fraud.rows.length, churn.rows.length);
    const column = (ref: typeof fraud, f: number) => ref.rows.slice(0, rows).map((r) => r[f]);
    const request = () => ({
      inputs: [
        ...fraud.features.map((f, i) => ({ name: f.name, datatype: f.kind === 'numeric' ? 'FP64' : 'BYTES', shape: [rows], data: column(fraud, i) })),
        ...churn.features.map((f, i) => ({ name: f.name, datatype: f.kind === 'numeric' ? 'FP64' : 'BYTES', shape: [rows], data: column(churn, i) })),
      ],
    });
    const p = fraud.expected['probabilities'] as number[][];
    const q = churn.expected['predict_proba'] as number[][];
    const call = async (graph: string) => {
      const { status, body } = await postJson(`${ferry.url}/v2/models/${graph}/infer`, request());
      expect(status, JSON.stringify(body)).toBe(200);
      return body.outputs[0];
    };
    const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));

    it('average', async () => {
      const out = await call('average');
      expect(out).toMatchObject({ name: 'probabilities', datatype: 'FP64', shape: [rows, 2] });
      close(out.data, p.slice(0, rows).flatMap((row, r) => row.map((v, c) => (v + q[r]![c]!) / 2)));
    });
    it('weighted average', async () => {
      close((await call('weighted')).data, p.slice(0, rows).flatMap((row, r) => row.map((v, c) => 0.25 * v + 0.75 * q[r]![c]!)));
    });
    it('max', async () => {
      close((await call('maximum')).data, p.slice(0, rows).flatMap((row, r) => row.map((v, c) => Math.max(v, q[r]![c]!))));
    });
    it('concat', async () => {
      const out = await call('concat');
      expect(out.shape).toEqual([rows, 4]);
      close(out.data, p.slice(0, rows).flatMap((row, r) => [...row, ...q[r]!]));
    });
    it('majority vote (ties go to the smaller label)', async () => {
      const out = await call('majority');
      expect(out).toMatchObject({ datatype: 'INT64', shape: [rows] });
      const argmax = (row: number[]) => (row[1]! > row[0]! ? 1 : 0);
      const expected = p.slice(0, rows).map((row, r) => Math.min(argmax(row), argmax(q[r]!)));
      expect(out.data).toEqual(expected);
    });
  });

  it('counts each node\'s calls by outcome and times them', async () => {
    const sample = async (metric: string) => {
      const text = await (await fetch(`${ferry.url}/metrics`)).text();
      const found = text.split('\n').find((line) => line.startsWith(`${metric} `));
      return found === undefined ? 0 : Number(found.slice(metric.length + 1));
    };
    const series = {
      prepOk: 'ferry_graph_node_calls_total{graph="chain",node="prep",type="transformer",outcome="ok"}',
      prepError: 'ferry_graph_node_calls_total{graph="chain",node="prep",type="transformer",outcome="error"}',
      modelOk: 'ferry_graph_node_calls_total{graph="chain",node="model",type="model",outcome="ok"}',
      prepTimed: 'ferry_graph_node_duration_seconds_count{graph="chain",node="prep",type="transformer"}',
    };
    const before = Object.fromEntries(await Promise.all(Object.entries(series).map(async ([k, m]) => [k, await sample(m)])));
    for (let i = 0; i < 3; i++) expect((await postJson(`${ferry.url}/v2/models/chain/infer`, { inputs: [{ name: 'value', datatype: 'FP32', shape: [1], data: [i] }] })).status).toBe(200);
    const refused = await postJson(`${ferry.url}/v2/models/chain/infer`, { inputs: [{ name: 'other', datatype: 'FP32', shape: [1], data: [1] }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/value/);
    const after = Object.fromEntries(await Promise.all(Object.entries(series).map(async ([k, m]) => [k, await sample(m)])));
    expect(after['prepOk']! - before['prepOk']!).toBe(3);
    expect(after['prepError']! - before['prepError']!).toBe(1);
    expect(after['modelOk']! - before['modelOk']!).toBe(3);
    expect(after['prepTimed']! - before['prepTimed']!).toBe(4);
  });

  it('refuses invalid graphs at load with errors naming the node, and reports them as not ready', async () => {
    const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
    const reason = (name: string) => body.find((e: any) => e.name === name)?.reason as string;
    expect(reason('unknown_model')).toMatch(/graph 'unknown_model' node 'first': model 'no_such_model' not found/);
    expect(reason('cycle')).toMatch(/node 'a': cycle: a -> b -> a/);
    expect(reason('weights')).toMatch(/node 'canary': weights sum to 1.1, not 1/);
    expect(reason('mismatch')).toMatch(/node 'model': input 'x' is INT32 upstream, the model takes FP32/);
    for (const name of Object.keys(BROKEN)) {
      expect((await fetch(`${ferry.url}/v2/models/${name}/ready`)).status).toBe(503);
      const answer = await postJson(`${ferry.url}/v2/models/${name}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/FERRY_ERR|graph '/);
    }
  });
});
