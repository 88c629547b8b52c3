// `ferry validate REPO` on good and broken repositories: the report (table and JSON) and the exit code a CI
// pipeline acts on, with every model loaded as `ferry serve` would load it and no port opened.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerValidate } from '../src/cli/validate.ts';
import { runCli, type CliRun } from './helpers/cli.ts';
import { REGISTRY_FIXTURES } from './helpers/registry.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const EXAMPLES = path.join(REPO_ROOT, 'examples/models');
let scratch: string;

async function validate(args: string[]): Promise<CliRun> {
  return runCli(registerValidate, ['validate', ...args]);
}

/** A repository in the scratch folder, built from example models and files written by the test. */
async function repository(name: string, build: (root: string) => Promise<void>): Promise<string> {
  const root = path.join(scratch, name);
  await mkdir(root, { recursive: true });
  await build(root);
  return root;
}

const copyExample = (root: string, example: string, as = example) => cp(path.join(EXAMPLES, example), path.join(root, as), { recursive: true });
const irisExample = (rows: number) => ({
  inputs: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((name) => ({ name, datatype: 'FP64', shape: [rows], data: Array.from({ length: rows }, (_, i) => 1 + i) })),
});

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-validate-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('ferry validate on a good repository', () => {
  let good: string;
  beforeAll(async () => {
    good = await repository('good', async (root) => {
      await copyExample(root, 'iris_xgboost');
      await copyExample(root, 'simple');
      // An MLflow model folder as a version: its MLmodel declares the signature and carries an input example.
      await cp(path.join(REGISTRY_FIXTURES, 'mlflow-scale-2'), path.join(root, 'scaler', '1'), { recursive: true });
    });
  });

  it('runs each example through the model and reports the answer\'s shapes, exit 0', async () => {
    const result = await validate([good, '--output', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(report.ok).toBe(true);
    expect(report.models.map((m: { name: string }) => m.name)).toEqual(['iris_xgboost', 'scaler', 'simple']);
    const [iris, scaler, simple] = report.models;
    expect(iris.versions[0]).toMatchObject({ version: 1, state: 'AVAILABLE', ok: true, example: { source: 'iris_xgboost/example.json', ok: true } });
    // The example's two rows: one probability per class per row.
    expect(iris.versions[0].example.outputs).toContainEqual(expect.objectContaining({ name: 'probabilities', shape: [2, 3] }));
    expect(iris.versions[0].example.outputs).toContainEqual(expect.objectContaining({ name: 'label', shape: [2] }));
    expect(scaler.versions[0]).toMatchObject({ ok: true, example: { source: 'scaler/1/MLmodel input example', ok: true, outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 4] }] } });
    expect(scaler.versions[0].inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
    // No example: loaded and its signature checked, nothing run.
    expect(simple.versions[0]).toMatchObject({ ok: true, platform: 'onnxruntime_onnx' });
    expect(simple.versions[0].example).toBeUndefined();
  });

  it('prints a table for people', async () => {
    const result = await validate([good]);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[1]).toMatch(/^MODEL\s+VERSION\s+STATE\s+PLATFORM\s+EXAMPLE\s+RESULT$/);
    expect(result.out).toMatch(/\niris_xgboost\s+1\s+AVAILABLE\s+\S+\s+ok \(iris_xgboost\/example\.json\)\s+ok\n/);
    expect(result.out).toMatch(/\nsimple\s+1\s+AVAILABLE\s+onnxruntime_onnx\s+none\s+ok\n/);
    expect(lines.at(-1)).toBe('ok: 3 models would serve');
  });
});

describe('ferry validate on a broken repository', () => {
  let broken: string;
  beforeAll(async () => {
    broken = await repository('broken', async (root) => {
      await copyExample(root, 'iris_xgboost', 'good_iris');
      // A model file that is not what it claims to be.
      await mkdir(path.join(root, 'corrupt', '1'), { recursive: true });
      await writeFile(path.join(root, 'corrupt', '1', 'model.onnx'), 'not an onnx file');
      // An example that names an input the model does not have.
      await copyExample(root, 'iris_xgboost', 'wrong_example');
      await writeFile(path.join(root, 'wrong_example', 'example.json'), JSON.stringify({ inputs: [{ name: 'petal', datatype: 'FP64', shape: [1], data: [1] }] }));
      // An example that is not JSON.
      await copyExample(root, 'simple', 'unreadable_example');
      await writeFile(path.join(root, 'unreadable_example', 'example.json'), '{"inputs": [');
      // model.yaml that serving refuses.
      await copyExample(root, 'simple', 'bad_yaml');
      await writeFile(path.join(root, 'bad_yaml', 'model.yaml'), 'version_policy: {newest: 1}\n');
      // A model folder with no version.
      await mkdir(path.join(root, 'empty'));
      // A folder whose name is no model name.
      await copyExample(root, 'simple', 'bad name');
      // An MLflow folder whose MLmodel declares an input Ferry does not serve.
      await cp(path.join(REGISTRY_FIXTURES, 'mlflow-scale-2'), path.join(root, 'mlflow_mismatch', '1'), { recursive: true });
      const mlmodel = path.join(root, 'mlflow_mismatch', '1', 'MLmodel');
      const { readFile } = await import('node:fs/promises');
      await writeFile(mlmodel, (await readFile(mlmodel, 'utf8')).replaceAll('"name": "x"', '"name": "features"'));
    });
  });

  it('fails with exit 1 and says, per model, what would not serve', async () => {
    const result = await validate([broken, '-o', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out);
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.models.map((m: { name: string }) => [m.name, m]));
    expect(byName.good_iris.ok).toBe(true);
    expect(byName.corrupt).toMatchObject({ ok: false, versions: [{ version: 1, state: 'ERROR', ok: false }] });
    expect(byName.corrupt.versions[0].problems[0]).toMatch(/corrupt/);
    expect(byName.wrong_example.versions[0]).toMatchObject({ state: 'AVAILABLE', ok: false, example: { ok: false, source: 'wrong_example/example.json' } });
    expect(byName.wrong_example.versions[0].example.error).toBe("model 'wrong_example' requires input 'sepal_length'");
    expect(byName.unreadable_example.versions[0].example).toMatchObject({ ok: false });
    expect(byName.unreadable_example.versions[0].example.error).toMatch(/malformed request body/);
    expect(byName.bad_yaml).toMatchObject({ ok: false, versions: [] });
    expect(byName.bad_yaml.problems[0]).toMatch(/model\.yaml.*version_policy/);
    expect(byName.empty).toMatchObject({ ok: false, problems: [expect.stringMatching(/no version to serve/)] });
    expect(byName.mlflow_mismatch.versions[0].problems).toEqual([
      "mlflow_mismatch/1/MLmodel: MLmodel declares input 'features', which Ferry does not serve (inputs: x)",
      "mlflow_mismatch/1/MLmodel: Ferry serves input 'x', which MLmodel does not declare",
      // Its own input example no longer fits its declared signature either.
      expect.stringMatching(/^example \(mlflow_mismatch\/1\/MLmodel\): .*input example/),
    ]);
    expect(report.skipped).toEqual([{ path: 'bad name', reason: 'not a valid model name' }]);
  });

  it('prints every problem under the table and a verdict line', async () => {
    const result = await validate([broken]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/\ncorrupt\s+1\s+ERROR\s+.*FAIL\n/);
    expect(result.out).toMatch(/\n {2}wrong_example v1: example \(wrong_example\/example\.json\): model 'wrong_example' requires input 'sepal_length'\n/);
    expect(result.out).toMatch(/\n {2}empty: no version to serve/);
    expect(result.out).toMatch(/\n {2}bad name: left out by the repository scan: not a valid model name/);
    expect(result.out.split('\n').at(-1)).toBe('FAILED: 6 of 7 models would not serve, 1 folder(s) left out');
  });

  it('passes once the broken models are gone: one corrupt file is enough to fail', async () => {
    const one = await repository('one-broken', async (root) => {
      await copyExample(root, 'iris_xgboost');
      await writeFile(path.join(root, 'iris_xgboost', 'example.json'), JSON.stringify(irisExample(3)));
    });
    expect((await validate([one])).code).toBe(0);
    await writeFile(path.join(one, 'iris_xgboost', '1', 'model.json'), '{"learner": {}}');
    const after = await validate([one, '-o', 'json']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.out).models[0].versions[0].state).toBe('ERROR');
  });
});

describe('ferry validate as a process', () => {
  it('keeps stdout to the JSON report (log lines go to stderr) and exits 2 for a repository that does not exist', async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(NODE, ['bin/ferry.js', 'validate', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    const examples = await run(['examples/models', '--output', 'json', '--log-level', 'info']);
    expect(examples.code).toBe(0);
    expect(JSON.parse(examples.out).ok).toBe(true);
    expect(examples.err).toMatch(/"msg":"model version AVAILABLE"/);
    const missing = await run([path.join(scratch, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^ferry validate: .*nowhere/);
    // A model folder given as the repository would report zero models and pass: it is refused, naming the repository.
    const modelFolder = await run(['examples/models/half_plus_two']);
    expect(modelFolder.code).toBe(2);
    expect(modelFolder.err).toContain("examples/models/half_plus_two holds only version folders (1): it is a model folder, not a repository; serve the folder above it");
  }, 120_000);
});
