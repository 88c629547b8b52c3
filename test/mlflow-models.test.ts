import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, python } from './helpers/python-models.ts';
import { EXAMPLE_MODELS, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * MLflow model directories written here in MLflow's documented layout (MLmodel, code/, artifacts/, data files),
 * each served over V2 and /invocations, with answers compared to the libraries that made them.
 */
const LAYOUTS = String.raw`
import json, os, pickle, sys
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

root = sys.argv[1] if len(sys.argv) > 1 else "."
def write(rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
cols = json.dumps([{"name": "a", "type": "double"}, {"name": "b", "type": "double"}])
out = json.dumps([{"type": "double"}])
def mlmodel(flavors, inputs=cols, outputs=out, example=False):
    doc = {"flavors": flavors, "signature": {"inputs": inputs, "outputs": outputs}}
    if example:
        doc["saved_input_example_info"] = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"}
    return json.dumps(doc)  # JSON is YAML

# pyfunc with a loader_module in code/
write("loader/1/code/linear_loader.py", '''import json
class Linear:
    def __init__(self, w):
        self.w = w
    def predict(self, df):
        return df["a"] * self.w["a"] + df["b"] * self.w["b"]
def _load_pyfunc(path):
    with open(path) as f:
        return Linear(json.load(f))
''')
write("loader/1/data/weights.json", json.dumps({"a": 2.0, "b": -0.5}))
write("loader/1/input_example.json", json.dumps({"columns": ["a", "b"], "data": [[1.0, 2.0]]}))
write("loader/1/MLmodel", mlmodel({"python_function": {"loader_module": "linear_loader", "code": "code", "data": "data/weights.json", "env": "conda.yaml"}}, example=True))

# python_model with an artifact (pickled by reference to a class in code/)
write("wrapped/1/code/scaler_model.py", '''class Scaler:
    def load_context(self, context):
        with open(context.artifacts["factor"]) as f:
            self.factor = float(f.read())
    def predict(self, context, model_input, params=None):
        return (model_input["a"] + model_input["b"]) * self.factor
''')
write("wrapped/1/artifacts/factor.txt", "3.5")
sys.path.insert(0, os.path.join(root, "wrapped/1/code"))
import scaler_model
with open(os.path.join(root, "wrapped/1/python_model.pkl"), "wb") as f:
    pickle.dump(scaler_model.Scaler(), f)
write("wrapped/1/MLmodel", mlmodel({"python_function": {"loader_module": "mlflow.pyfunc.model", "python_model": "python_model.pkl", "code": "code", "artifacts": {"factor": {"path": "artifacts/factor.txt", "uri": "factor.txt"}}}}))
write("wrapped/model.yaml", "allow_pickle: true\n")

# sklearn pickle, with and without allow_pickle
X, y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=500).fit(X, y)
iris_cols = json.dumps([{"name": n, "type": "double"} for n in ["sl", "sw", "pl", "pw"]])
for name in ["iris_pickle", "iris_refused"]:
    os.makedirs(os.path.join(root, name, "1"), exist_ok=True)
    with open(os.path.join(root, name, "1", "model.pkl"), "wb") as f:
        pickle.dump(clf, f)
    write(f"{name}/1/MLmodel", mlmodel({
        "python_function": {"loader_module": "mlflow.sklearn", "pickled_model": "model.pkl", "env": "conda.yaml"},
        "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle", "sklearn_version": "1.2"},
    }, inputs=iris_cols, outputs=json.dumps([{"type": "long"}])))
write("iris_pickle/model.yaml", "allow_pickle: true\n")

# xgboost JSON
booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3, "base_score": 0.5}, xgb.DMatrix(X, label=X[:, 0] * 2 + y), num_boost_round=8)
booster.save_model(os.path.join(root, "boosted", "1", "model.json") if os.makedirs(os.path.join(root, "boosted", "1"), exist_ok=True) is None else None)
write("boosted/1/MLmodel", mlmodel({"xgboost": {"data": "model.json", "model_class": "xgboost.core.Booster", "model_format": "json", "xgb_version": xgb.__version__},
                                     "python_function": {"loader_module": "mlflow.xgboost", "data": "model.json"}}))

rows = X[::30]
print(json.dumps({
    "iris_rows": rows.tolist(), "iris_labels": clf.predict(rows).tolist(),
    "boosted": booster.predict(xgb.DMatrix(rows)).tolist(),
}))
`;

describe('MLflow model directories', () => {
  let root: string;
  let ferry: RunningFerry;
  let expected: { iris_rows: number[][]; iris_labels: number[]; boosted: number[] };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ferry-mlflow-models-'));
    expected = JSON.parse(await python(`import sys; sys.argv = ["", ${JSON.stringify(root)}]\n${LAYOUTS}`));
    // ONNX: the example model in an MLflow directory.
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(root, 'onnxed', '1'), { recursive: true });
    await copyFile(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'), path.join(root, 'onnxed/1/model.onnx'));
    await writeFile(path.join(root, 'onnxed/1/MLmodel'), 'flavors:\n  onnx: {data: model.onnx, onnx_version: 1.14.0}\n  python_function: {loader_module: mlflow.onnx, data: model.onnx}\n');
    ferry = await startFerry({ model_repository: root, runtime: { allow_code: true, python: PYTHON } });
  }, 180_000);

  afterAll(async () => {
    await ferry?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const v2 = (model: string, inputs: unknown[]) => postJson(`${ferry.url}/v2/models/${model}/infer`, { inputs });
  const invocations = (model: string, body: unknown) => postJson(`${ferry.url}/invocations`, body, { 'ferry-model': model });
  const column = (name: string, data: number[]) => ({ name, datatype: 'FP64', shape: [data.length], data });

  it('serves a pyfunc with a loader_module from code/, its signature as V2 metadata', async () => {
    const answer = await v2('loader', [column('a', [1, 3]), column('b', [2, -4])]);
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0]).toMatchObject({ name: 'predictions', datatype: 'FP64', shape: [2], data: [1, 8] });
    const metadata = (await (await fetch(`${ferry.url}/v2/models/loader`)).json()) as { input_example?: unknown };
    expect(metadata).toMatchObject({ platform: 'mlflow_python_function', inputs: [{ name: 'a', datatype: 'FP64', shape: [-1] }, { name: 'b', datatype: 'FP64', shape: [-1] }] });
    // The saved input_example, as a V2 request a client can send as is; it answers as the model does.
    expect(metadata.input_example).toEqual({ inputs: [{ name: 'a', datatype: 'FP64', shape: [1], data: [1] }, { name: 'b', datatype: 'FP64', shape: [1], data: [2] }] });
    const example = await postJson(`${ferry.url}/v2/models/loader/infer`, metadata.input_example);
    expect(example.body.outputs[0].data).toEqual([1]);
    const mlflow = await invocations('loader', { dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, -4]] } });
    expect(mlflow.status).toBe(200);
    expect(mlflow.body).toEqual({ predictions: [1, 8] });
  });

  it('serves a python_model with its artifact (a pickle, allowed in model.yaml)', async () => {
    const answer = await v2('wrapped', [column('a', [1]), column('b', [1])]);
    expect(answer.body).toMatchObject({ outputs: [{ name: 'predictions' }] });
    expect(answer.body.outputs[0].data).toEqual([7]);
    const mlflow = await invocations('wrapped', { dataframe_records: [{ a: 2, b: 0 }, { a: 0.5, b: 0.5 }] });
    expect(mlflow.body).toEqual({ predictions: [7, 3.5] });
  });

  it('serves an sklearn pickle only where allow_pickle is set; its answers equal sklearn', async () => {
    const rows = expected.iris_rows;
    const names = ['sl', 'sw', 'pl', 'pw'];
    const answer = await v2('iris_pickle', names.map((n, j) => column(n, rows.map((r) => r[j]!))));
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0]).toMatchObject({ datatype: 'INT64', data: expected.iris_labels });
    const mlflow = await invocations('iris_pickle', { dataframe_split: { columns: names, data: rows } });
    expect(mlflow.body).toEqual({ predictions: expected.iris_labels });
    const refused = ferry.server.dataplane.modelStatus('iris_refused').versions[0];
    expect(refused?.state).toBe('ERROR');
    expect(JSON.stringify(refused)).toMatch(/model\.pkl is a pickle, which can run any code when loaded: set allow_pickle: true in model\.yaml/);
  });

  it('serves the onnx flavor on the ONNX runtime', async () => {
    const ones = Array(16).fill(1);
    const seq = Array.from({ length: 16 }, (_, i) => i);
    const answer = await v2('onnxed', [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: seq }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ones }]);
    expect(answer.body.outputs.find((o: { name: string }) => o.name === 'OUTPUT0').data).toEqual(seq.map((v) => v + 1));
    const mlflow = await invocations('onnxed', { inputs: { INPUT0: [seq], INPUT1: [ones] } });
    expect(mlflow.status).toBe(200);
    expect(JSON.stringify(mlflow.body)).toContain(JSON.stringify(seq.map((v) => v - 1)));
  });

  it('serves the xgboost flavor (JSON) natively; its answers equal xgboost', async () => {
    const rows = expected.iris_rows;
    const answer = await v2('boosted', [{ name: 'input', datatype: 'FP64', shape: [rows.length, 4], data: rows.flat() }]);
    expect(answer.body).toMatchObject({ outputs: [{ name: 'predict', shape: [rows.length] }] });
    const got = answer.body.outputs[0].data as number[];
    got.forEach((v, i) => expect(v).toBeCloseTo(expected.boosted[i]!, 5));
    const mlflow = await invocations('boosted', { instances: rows });
    expect(mlflow.status).toBe(200);
    (mlflow.body.predictions as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected.boosted[i]!, 5));
  });
});
