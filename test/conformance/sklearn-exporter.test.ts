/** The Python exporter, run with Debian's python (numpy + scikit-learn) as a user would run it. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { createSklearnRuntime } from '../../src/runtimes/sklearn/index.ts';
import { plainValues, requestFor } from './sklearn-fixtures.ts';

const PYTHON = process.env.FERRY_TEST_PYTHON ?? '/usr/bin/python3';
const PACKAGE_ROOT = path.resolve(import.meta.dirname, '../../python');
const run = promisify(execFile);
const available = existsSync(PYTHON);
if (!available && process.env.CI !== 'true') console.warn(`skipping the ferry_sklearn exporter tests: ${PYTHON} not found`);
const describeExporter = available || process.env.CI === 'true' ? describe : describe.skip;

async function python(code: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(PYTHON, [...(code ? ['-c', code] : []), ...args], {
      env: { ...process.env, PYTHONPATH: PACKAGE_ROOT, PYTHONWARNINGS: 'ignore' }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'ferry-sklearn-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describeExporter('ferry_sklearn exporter', () => {
  it('refuses unsupported estimators with a message naming them, top-level or nested', async () => {
    const result = await python(`
import numpy as np, ferry_sklearn
from sklearn.svm import SVC, SVR
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X = np.random.default_rng(0).normal(size=(30, 3)); y = (X[:, 0] > 0).astype(int)
for model in (SVC().fit(X, y), make_pipeline(StandardScaler(), SVR()).fit(X, X[:, 1])):
    try:
        ferry_sklearn.export(model)
        print("exported?!")
    except ferry_sklearn.UnsupportedEstimatorError as error:
        print(error)
`);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ferry_sklearn cannot export SVC: not a supported estimator \(supported: .*LogisticRegression/);
    expect(lines[1]).toMatch(/^ferry_sklearn cannot export SVR: not a supported estimator/);
  });

  it('refuses unsupported settings of supported estimators, naming them', async () => {
    const result = await python(`
import numpy as np, ferry_sklearn
from sklearn.neighbors import KNeighborsClassifier
X = np.random.default_rng(0).normal(size=(30, 3)); y = (X[:, 0] > 0).astype(int)
try:
    ferry_sklearn.export(KNeighborsClassifier(metric="chebyshev").fit(X, y))
except ferry_sklearn.UnsupportedEstimatorError as error:
    print(error)
`);
    expect(result.stdout.trim()).toBe("ferry_sklearn cannot export KNeighborsClassifier: metric='chebyshev'");
  });

  it('exports feature names (feature_names_in_, else given, else x0..) and which features are categorical', async () => {
    const result = await python(`
import json, numpy as np, ferry_sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
X = np.array([[1.0, "a", 3], [2.0, "b", 4], [3.0, "a", 3]], dtype=object); y = np.array([1.0, 2.0, 3.0])
prep = ColumnTransformer([("oh", OneHotEncoder(), [1, 2])], remainder="passthrough")
model = make_pipeline(prep, LinearRegression()).fit(X, y)
kinds = lambda d: [(f["name"], f["kind"]) for f in d["features"]]
print(json.dumps(kinds(ferry_sklearn.to_document(model))))
print(json.dumps(kinds(ferry_sklearn.to_document(model, feature_names=["size", "colour", "code"]))))
prep.feature_names_in_ = np.array(["s", "c", "k"], dtype=object)  # what fitting on a DataFrame sets (Pipeline reads it from its first step)
print(json.dumps(kinds(ferry_sklearn.to_document(model, feature_names=["ignored", "names", "here"]))))
`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      [['x0', 'numeric'], ['x1', 'categorical'], ['x2', 'numeric']],
      [['size', 'numeric'], ['colour', 'categorical'], ['code', 'numeric']],
      [['s', 'numeric'], ['c', 'categorical'], ['k', 'numeric']],
    ]);
  });

  it('CLI: exits non-zero with the message for a factory returning an unsupported model', async () => {
    const out = path.join(scratch, 'nope.json');
    const result = await python('', ['-m', 'ferry_sklearn', 'export', 'sklearn.ensemble:IsolationForest', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot export IsolationForest');
    expect(existsSync(out)).toBe(false);
  });

  it('CLI demo: the exported pipeline serves the same probabilities as scikit-learn', async () => {
    const out = path.join(scratch, 'model.json');
    const exported = await python('', ['-m', 'ferry_sklearn', 'demo', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const reference = await python(`
import json
from ferry_sklearn.__main__ import _demo
model, _ = _demo()
import numpy as np
X = np.array([[35.0, 2.5, "east"], [52.0, 3.9, "north"], [41.0, 1.0, "atlantis"]], dtype=object)
print(json.dumps(model.predict_proba(X).tolist()))
`);
    const want = JSON.parse(reference.stdout) as number[][];
    const instance = await createSklearnRuntime().load({ name: 'demo', version: '1', dir: { path: scratch, files: ['model.json'] }, options: {} }, silentContext);
    const request = requestFor(instance.signature.inputs, { age: [35, 52, 41], income: [2.5, 3.9, 1.0], region: ['east', 'north', 'atlantis'] });
    const [result] = await instance.execute([request], new AbortController().signal);
    const proba = plainValues(result!.outputs.find((t) => t.name === 'predict_proba')!) as number[];
    want.flat().forEach((p, i) => expect(Math.abs(proba[i]! - p)).toBeLessThanOrEqual(1e-6 * Math.abs(p) + 1e-12));
  });
});
