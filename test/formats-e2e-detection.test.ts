import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_ROOT, FORMAT_EXAMPLES, expectedFlat, readReference, relativeMismatches, v2Inputs } from './fixtures/examples/references.ts';
import { getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * How a version folder finds its runtime, on a real server over a scratch repository built from the examples:
 * by its files (no model.yaml), or by `runtime:` in model.yaml, which also serves a file no detector would
 * recognise (named with `options.file`) and takes precedence over what the files look like.
 */
let ferry: RunningFerry;
let root: string;

/** The renamed copy: an extension no runtime detects. */
const hiddenName = (model: string) => `${model}.artifact`;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ferry-formats-'));
  const place = async (name: string, source: string, file: string, yaml?: string) => {
    await mkdir(path.join(root, name, '1'), { recursive: true });
    await copyFile(source, path.join(root, name, '1', file));
    if (yaml !== undefined) await writeFile(path.join(root, name, 'model.yaml'), yaml);
  };
  for (const example of FORMAT_EXAMPLES) {
    const source = path.join(EXAMPLES_ROOT, example.model, '1', example.file);
    await place(`detected_${example.runtime}`, source, example.file);
    await place(`declared_${example.runtime}`, source, hiddenName(example.model), `runtime: ${example.runtime}\noptions:\n  file: ${hiddenName(example.model)}\n`);
    await place(`undetectable_${example.runtime}`, source, hiddenName(example.model));
    await place(`misspelt_${example.runtime}`, source, example.file, 'options:\n  fiel: other.json\n');
  }
  const sklearnFile = path.join(EXAMPLES_ROOT, 'churn_sklearn', '1', 'model.json');
  await place('sklearn_declared_as_xgboost', sklearnFile, 'model.json', 'runtime: xgboost\n');
  await place('unknown_runtime', sklearnFile, 'model.json', 'runtime: tensorflow\n');
  await place('iris_matrix', path.join(EXAMPLES_ROOT, 'iris_xgboost', '1', 'model.json'), 'model.json', 'options:\n  inputs: matrix\n');
  ferry = await startFerry({ model_repository: root, grpc: { enabled: false } });
});
afterAll(async () => {
  await ferry?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function repositoryEntry(name: string): Promise<{ state: string; reason?: string }> {
  const { body } = await postJson(`${ferry.url}/v2/repository/index`, {});
  const entry = (body as { name: string; state: string; reason?: string }[]).find((e) => e.name === name);
  if (!entry) throw new Error(`${name} is not in the repository index`);
  return entry;
}

describe.each(FORMAT_EXAMPLES)('$runtime', (example) => {
  it('is detected by its files alone (no model.yaml) and serves the reference predictions', async () => {
    await expectServes(`detected_${example.runtime}`, example.model, example.platform, example.labels[0]!);
  });

  it('`runtime:` in model.yaml serves a file no detector recognises, named by options.file', async () => {
    await expectServes(`declared_${example.runtime}`, example.model, example.platform, example.labels[0]!);
  });

  it('an option the runtime does not read is refused on a real server (through the load sandbox), naming the one meant', async () => {
    const name = `misspelt_${example.runtime}`;
    const entry = await repositoryEntry(name);
    expect(entry.state).not.toBe('READY');
    expect(entry.reason).toMatch(new RegExp(`^failed to load model '${name}': options\\.fiel is not an option of the ${example.runtime} runtime \\(did you mean file\\?\\); it reads file \\| inputs`));
    expect((await fetch(`${ferry.url}/v2/models/${name}/ready`)).status).not.toBe(200);
  });

  it('the same file without model.yaml is not served, and the reason says to set runtime:', async () => {
    const name = `undetectable_${example.runtime}`;
    const entry = await repositoryEntry(name);
    expect(entry.state).toBe('ERROR');
    expect(entry.reason).toMatch(new RegExp(`^failed to load model '${name}': no runtime recognises the files in ${name}/1 \\(${hiddenName(example.model)}\\); set runtime: in model\\.yaml$`));
    const r = await postJson(`${ferry.url}/v2/models/${name}/infer`, { inputs: v2Inputs(await readReference(example.model)) });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.error).toContain(name);
  });
});

async function expectServes(name: string, example: string, platform: string, label: string): Promise<void> {
  const reference = await readReference(example);
  const metadata = await getJson(`${ferry.url}/v2/models/${name}`);
  expect(metadata.status).toBe(200);
  expect(metadata.body.platform).toBe(platform);
  expect(metadata.body.inputs.map((i: { name: string }) => i.name)).toEqual(reference.features.map((f) => f.name));
  const { status, body } = await postJson(`${ferry.url}/v2/models/${name}/infer`, { inputs: v2Inputs(reference) });
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.outputs.find((o: { name: string }) => o.name === label).data).toEqual(expectedFlat(reference, label));
}

describe('runtime: in model.yaml decides, whatever the files look like', () => {
  it('a ferry-sklearn model.json declared as xgboost is not served by sklearn: its load fails with XGBoost\'s reason', async () => {
    const entry = await repositoryEntry('sklearn_declared_as_xgboost');
    expect(entry.state).toBe('ERROR');
    expect(entry.reason).toMatch(/^failed to load model 'sklearn_declared_as_xgboost': no XGBoost JSON model \(\*\.json with a "learner" object\)/);
    expect((await fetch(`${ferry.url}/v2/models/sklearn_declared_as_xgboost/ready`)).status).not.toBe(200);
  });

  it('an unknown runtime name is a load error listing the known runtimes', async () => {
    const entry = await repositoryEntry('unknown_runtime');
    expect(entry.state).not.toBe('READY');
    expect(entry.reason).toMatch(/unknown runtime 'tensorflow'; expected mlflow \| python \| js \| onnx \| sklearn \| xgboost \| lightgbm \| pmml$/);
  });

  it('model.yaml without runtime: keeps detection and passes its options (inputs: matrix)', async () => {
    const reference = await readReference('iris_xgboost');
    const metadata = await getJson(`${ferry.url}/v2/models/iris_matrix`);
    expect(metadata.body.platform).toBe('xgboost_json');
    expect(metadata.body.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    const rows = reference.rows;
    const { status, body } = await postJson(`${ferry.url}/v2/models/iris_matrix/infer`, {
      inputs: [{ name: 'input', datatype: 'FP64', shape: [rows.length, 4], data: rows.flat() }],
    });
    expect(status).toBe(200);
    expect(relativeMismatches(body.outputs[0].data, expectedFlat(reference, 'probabilities'))).toEqual([]);
    expect(body.outputs[1].data).toEqual(expectedFlat(reference, 'label'));
  });
});
