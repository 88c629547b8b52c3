import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { PYTHON, python, writeModel } from './helpers/python-models.ts';
import { postJson } from './helpers/server.ts';

/** A Python transformer: log1p of the raw amounts, scaled, as the FP32 `x` half_plus_two takes. */
const LOG_SCALE = `import numpy as np

class Model:
    def load(self, path):
        pass
    def metadata(self):
        return {"inputs": [{"name": "amount", "datatype": "FP64", "shape": [-1]}],
                "outputs": [{"name": "x", "datatype": "FP32", "shape": [-1]}]}
    def predict(self, inputs):
        return {"x": (np.log1p(inputs["amount"]) * 3).astype(np.float32)}
`;
/** A JS transformer (a defineModel object): clips the model's answer to [0, 3]. */
const CLIP = `export default {
  signature: { inputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'score', datatype: 'FP32', shape: [-1] }] },
  predict({ y }) {
    return { score: { data: Float32Array.from(y.data, (v) => Math.min(3, Math.max(0, v))) } };
  },
};
`;
const PIPELINE = `
nodes:
  - {name: prep, type: transformer, model: log_scale}
  - {name: model, type: model, model: half_plus_two, inputs: [prep]}
  - {name: clip, type: output_transformer, model: clip, inputs: [model]}
`;
const NOT_CODE = 'nodes:\n  - {name: prep, type: transformer, model: half_plus_two}\n';
const BOTH = 'nodes:\n  - {name: prep, type: transformer, model: log_scale, steps: [{select: [amount]}]}\n';

async function repository(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-graph-code-'));
  await writeModel(path.join(root, 'models'), 'log_scale', { 'model.py': LOG_SCALE });
  await writeModel(path.join(root, 'models'), 'clip', { 'model.mjs': CLIP });
  return root;
}

const AMOUNTS = [0, 0.5, 1, 2.5, 10, 300];

describe('transformer nodes that run models served from code', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({
      root: await repository(),
      examples: ['half_plus_two'],
      deployments: { pipeline: PIPELINE, not_code: NOT_CODE, both: BOTH },
      config: { runtime: { allow_code: true, python: PYTHON } },
    });
  }, 120_000);
  afterAll(() => ferry?.stop());

  it('runs a Python transformer, the model, then a JS output transformer (numpy as reference)', async () => {
    const { status, body } = await postJson(`${ferry.url}/v2/models/pipeline/infer`, { inputs: [{ name: 'amount', datatype: 'FP64', shape: [AMOUNTS.length], data: AMOUNTS }] });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'score', datatype: 'FP32', shape: [AMOUNTS.length] });
    const reference = JSON.parse(await python(`
import json, numpy as np
x = (np.log1p(np.array(${JSON.stringify(AMOUNTS)}, dtype=np.float64)) * 3).astype(np.float32)
y = x / np.float32(2) + np.float32(2)
print(json.dumps(np.clip(y, 0, 3).astype(np.float64).tolist()))
`)) as number[];
    body.outputs[0].data.forEach((v: number, i: number) => expect(v).toBeCloseTo(reference[i]!, 5));
    // Both sides of the clip are reached: the test would pass a missing clip only if no value were above 3.
    expect(reference.filter((v) => v === 3).length).toBeGreaterThan(0);
    expect(reference.filter((v) => v < 3).length).toBeGreaterThan(0);
  });

  it('advertises the Python transformer\'s inputs as the graph\'s', async () => {
    const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
    expect(body.find((e: { name: string }) => e.name === 'pipeline')).toMatchObject({ state: 'READY' });
    const metadata = await (await fetch(`${ferry.url}/v2/models/pipeline`)).json();
    expect(metadata).toMatchObject({ inputs: [{ name: 'amount', datatype: 'FP64' }], outputs: [{ name: 'score', datatype: 'FP32' }] });
  });

  it('refuses a transformer naming a model that is not code, and one with both steps and a model', async () => {
    const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
    const reason = (name: string) => body.find((e: { name: string }) => e.name === name)?.reason as string;
    expect(reason('not_code')).toMatch(/graph 'not_code' node 'prep': a transformer runs a model served from code .* 'half_plus_two' is onnxruntime_onnx: call it with a model node/);
    expect(reason('both')).toMatch(/node 'prep': a transformer has either steps \(built-in\) or model/);
  });
});

describe('code transformers without --allow-code', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({ root: await repository(), examples: ['half_plus_two'], deployments: { pipeline: PIPELINE }, config: { runtime: { python: PYTHON } } });
  }, 120_000);
  afterAll(async () => {
    await ferry?.stop();
  });

  it('keeps the graph not ready and says which node waits for code that may not run', async () => {
    expect((await fetch(`${ferry.url}/v2/models/pipeline/ready`)).status).toBe(503);
    const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
    expect(body.find((e: { name: string }) => e.name === 'pipeline')?.reason).toMatch(/required nodes not ready \(prep: .*log_scale/);
    const modelEntry = body.find((e: { name: string }) => e.name === 'log_scale');
    expect(JSON.stringify(modelEntry)).toMatch(/--allow-code/);
    const answer = await postJson(`${ferry.url}/v2/models/pipeline/infer`, { inputs: [{ name: 'amount', datatype: 'FP64', shape: [1], data: [1] }] });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(600);
    expect(answer.body.error).toMatch(/log_scale/);
  });
});
