import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatModel, PYTHON, python, writeModel } from './helpers/python-models.ts';
import { getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * Python models as code served end to end by a real server with Debian's python3: a scikit-learn model trained
 * here and rebuilt without pickle, and models that crash, hang, raise, sleep or say they are not ready.
 */
const twoRows = (a: number, b: number) => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [a, b] }] });

describe('python models as code', () => {
  let root: string;
  let ferry: RunningFerry;
  let expected: { x: number[][]; proba: number[][]; label: number[] };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ferry-python-models-'));
    // Train at test time; the served model.py rebuilds the estimator from its fitted parameters (no pickle).
    const irisDir = await writeModel(root, 'iris', {
      'model.py': `import json, os
import numpy as np
from sklearn.linear_model import LogisticRegression

class Model:
    def load(self, path):
        with open(os.path.join(path, "params.json")) as f:
            p = json.load(f)
        self.clf = LogisticRegression()
        self.clf.coef_ = np.array(p["coef"])
        self.clf.intercept_ = np.array(p["intercept"])
        self.clf.classes_ = np.array(p["classes"])
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 4]}],
                "outputs": [{"name": "proba", "datatype": "FP64", "shape": [-1, 3]}, {"name": "label", "datatype": "INT64", "shape": [-1]}]}
    def predict(self, inputs):
        x = inputs["x"]
        return {"proba": self.clf.predict_proba(x), "label": self.clf.predict(x)}
`,
    });
    const trained = await python(`
import json
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=500).fit(X[::2], y[::2])
json.dump({"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(), "classes": clf.classes_.tolist()}, open("params.json", "w"))
test = X[1::2][:20]
print(json.dumps({"x": test.tolist(), "proba": clf.predict_proba(test).tolist(), "label": clf.predict(test).tolist()}))
`, irisDir);
    expected = JSON.parse(trained);
    // The same estimator behind predict_batch: it stacks the requests of a call itself and splits the answer back.
    await writeModel(root, 'iris_lists', {
      'params.json': await readFile(path.join(irisDir, 'params.json'), 'utf8'),
      'model.py': `import json, os
import numpy as np
from sklearn.linear_model import LogisticRegression

class Model:
    def load(self, path):
        with open(os.path.join(path, "params.json")) as f:
            p = json.load(f)
        self.clf = LogisticRegression()
        self.clf.coef_, self.clf.intercept_, self.clf.classes_ = np.array(p["coef"]), np.array(p["intercept"]), np.array(p["classes"])
    def metadata(self):
        return {"inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 4]}],
                "outputs": [{"name": "proba", "datatype": "FP64", "shape": [-1, 3]}, {"name": "requests", "datatype": "INT64", "shape": [-1]}]}
    def predict_batch(self, requests):
        x = np.concatenate([r["x"] for r in requests])
        proba = self.clf.predict_proba(x)
        ends = np.cumsum([len(r["x"]) for r in requests])[:-1]
        return [{"proba": p, "requests": np.full(len(p), len(requests))} for p in np.split(proba, ends)]
`,
    });
    await writeModel(root, 'fragile', { 'model.py': floatModel('if (x == -1).any():\n    os._exit(3)') }, 'options: {restart_backoff_ms: 10}\n');
    await writeModel(root, 'slow', { 'model.py': floatModel('if (x == -1).any():\n    time.sleep(30)') }, 'options: {request_timeout_seconds: 1.5}\n');
    await writeModel(root, 'raises', { 'model.py': floatModel('if (x < 0).any():\n    raise ValueError("x must not be negative")') });
    // Each request of x = [own, partner] marks its arrival, then waits up to 10 s for its partner's: met, it answers
    // x * 2; alone, zeros. Two requests meet only when two workers run them at once.
    await writeModel(root, 'pair', {
      'model.py': floatModel([
        'arrived = lambda n: os.path.join(self.path, "arrived-%d" % int(n))',
        'open(arrived(x[0, 0]), "w").close()',
        'deadline = time.time() + 10',
        'while not os.path.exists(arrived(x[0, 1])) and time.time() < deadline:',
        '    time.sleep(0.01)',
        'if not os.path.exists(arrived(x[0, 1])):',
        '    x = x * 0',
      ].join('\n')),
    }, 'instances: 2\nbatching: off\n');
    await writeModel(root, 'doomed', { 'model.py': floatModel('os._exit(7)') }, 'options: {max_restarts: 1}\n');
    await writeModel(root, 'gate', {
      'model.py': floatModel('', '') + '    def ready(self):\n        return not os.path.exists(os.path.join(self.path, "HOLD"))\n',
    });
    ferry = await startFerry({ model_repository: root, runtime: { allow_code: true, python: PYTHON, code: { ping_interval_seconds: 1, restart_backoff_ms: 20 } } });
  }, 180_000);

  afterAll(async () => {
    await ferry?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const infer = (model: string, body: unknown) => postJson(`${ferry.url}/v2/models/${model}/infer`, body);

  it('serves a scikit-learn model trained at test time, rebuilt without pickle: outputs equal sklearn', async () => {
    const { status, body } = await infer('iris', { inputs: [{ name: 'x', datatype: 'FP64', shape: [20, 4], data: expected.x.flat() }] });
    expect(status).toBe(200);
    const proba = body.outputs.find((o: { name: string }) => o.name === 'proba');
    const label = body.outputs.find((o: { name: string }) => o.name === 'label');
    expect(proba.shape).toEqual([20, 3]);
    expect(proba.data).toEqual(expected.proba.flat());
    expect(label).toMatchObject({ datatype: 'INT64', shape: [20], data: expected.label });
    const meta = await getJson(`${ferry.url}/v2/models/iris`);
    expect(meta.body).toMatchObject({ platform: 'python', inputs: [{ name: 'x', datatype: 'FP64', shape: [-1, 4] }] });
  });

  it('gives concurrent requests to predict_batch together, each answered with its own rows, equal to sklearn', async () => {
    // Twenty requests of 1 or 2 rows at once: while the worker computes one call, the others queue and share the next.
    const slices = Array.from({ length: 20 }, (_, i) => ({ start: i % 19, rows: 1 + (i % 2) }));
    const answers = await Promise.all(slices.map(({ start, rows }) =>
      infer('iris_lists', { inputs: [{ name: 'x', datatype: 'FP64', shape: [rows, 4], data: expected.x.slice(start, start + rows).flat() }] })));
    answers.forEach(({ status, body }, i) => {
      expect(status).toBe(200);
      const { start, rows } = slices[i]!;
      const proba = body.outputs.find((o: { name: string }) => o.name === 'proba');
      expect(proba.shape).toEqual([rows, 3]);
      // sklearn's own answer for these rows, to the last bits BLAS may round differently in another batch's company.
      expected.proba.slice(start, start + rows).flat().forEach((p, j) => expect(proba.data[j]).toBeCloseTo(p, 12));
    });
    const callSizes = answers.map(({ body }) => body.outputs.find((o: { name: string }) => o.name === 'requests').data[0] as number);
    expect(Math.max(...callSizes)).toBeGreaterThan(1);
  });

  it('answers 503 for the request whose worker exits, replaces the worker, and the next 100 requests succeed', async () => {
    const crashed = await infer('fragile', twoRows(-1, 1));
    expect(crashed.status).toBe(503);
    expect(crashed.body.error).toMatch(/model 'fragile' worker stopped while running the request \(worker exited with code 3\); it is being replaced/);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => infer('fragile', twoRows(i, 0.5))));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(answers.map((a) => a.body.outputs[0].data[0])).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
  });

  it('answers 504 for a request past its timeout, replaces the worker and serves the next request', async () => {
    const started = performance.now();
    const hung = await infer('slow', twoRows(-1, 0));
    expect(hung.status).toBe(504);
    expect(hung.body.error).toMatch(/model 'slow' did not answer within 1500 ms .*; its worker is being replaced/);
    expect(performance.now() - started).toBeLessThan(20_000);
    const next = await infer('slow', twoRows(3, 4));
    expect(next.status).toBe(200);
    expect(next.body.outputs[0].data).toEqual([6, 8]);
  });

  it('answers 500 with the exception type and message when predict raises; the worker carries on', async () => {
    const failed = await infer('raises', twoRows(-2, 1));
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe("model 'raises' failed to execute: ValueError: x must not be negative");
    expect(failed.body.error).not.toMatch(/Traceback/);
    const ok = await infer('raises', twoRows(2, 1));
    expect(ok.body.outputs[0].data).toEqual([4, 2]);
  });

  it('runs two requests on two workers at once: each sees the other arrive while it predicts', async () => {
    await Promise.all([infer('pair', twoRows(0, 0)), infer('pair', twoRows(0, 0))]); // both workers warm
    const both = await Promise.all([infer('pair', twoRows(1, 2)), infer('pair', twoRows(2, 1))]);
    expect(both.map((a) => a.status)).toEqual([200, 200]);
    // One after the other, the first would wait alone and answer zeros.
    expect(both.map((a) => a.body.outputs[0].data)).toEqual([[2, 4], [4, 2]]);
  });

  it('moves a version whose workers keep crashing to ERROR with the reason, other models serving on', async () => {
    expect((await infer('doomed', twoRows(1, 1))).status).toBe(503);
    // The replacement crashes too: the second crash in a row is past max_restarts (1).
    const deadline = Date.now() + 30_000;
    let state: string | undefined;
    while (Date.now() < deadline) {
      await infer('doomed', twoRows(1, 1));
      state = ferry.server.manager.model('doomed').versions.get(1)?.state;
      if (state === 'ERROR') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toBe('ERROR');
    expect(ferry.server.manager.model('doomed').versions.get(1)?.reason).toMatch(/its worker stopped 2 times in a row \(runtime\.code\.max_restarts is 1\); last: worker exited with code 7/);
    const refused = await infer('doomed', twoRows(1, 1));
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/is not ready \(ERROR: its worker stopped 2 times in a row/);
    expect((await infer('raises', twoRows(1, 1))).status).toBe(200);
  });

  it("turns server readiness false while a model's own ready() says not ready", async () => {
    const gateEntry = async () => {
      const report = await getJson(`${ferry.url}/v2/health/ready`);
      return { status: report.status, gate: (report.body.not_ready ?? []).find((m: { name: string }) => m.name === 'gate') };
    };
    const hold = path.join(root, 'gate', '1', 'HOLD');
    await writeFile(hold, '');
    try {
      const held = await gateEntry();
      expect(held.status).toBe(503);
      expect(held.gate).toEqual({ name: 'gate', required: true, reason: 'its readiness check failed: it answered not ready' });
    } finally {
      await unlink(hold);
    }
    expect((await gateEntry()).gate).toBeUndefined();
  });
});
