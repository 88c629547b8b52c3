/** Load-time and request-time errors of the sklearn runtime: every bad input is a catalogue error, never a crash. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { createSklearnRuntime } from '../../src/runtimes/sklearn/index.ts';
import type { InferRequest } from '../../src/tensor/index.ts';
import { close, FIXTURES, fixtureDir, plainValues, readExpected, requestFor } from './sklearn-fixtures.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'ferry-sklearn-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function folderWith(document: unknown, file = 'model.json') {
  const dir = path.join(scratch, String(counter++));
  mkdirSync(dir);
  writeFileSync(path.join(dir, file), typeof document === 'string' ? document : JSON.stringify(document));
  return { path: dir, files: [file] };
}

const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name, 'model.json'), 'utf8')) as Record<string, unknown>;
const load = (dir: { path: string; files: string[] }, options: Record<string, unknown> = {}) =>
  createSklearnRuntime().load({ name: 'm', version: '1', dir, options }, silentContext);
const run = async (dir: { path: string; files: string[] }, request: InferRequest, options: Record<string, unknown> = {}) =>
  (await load(dir, options)).execute([request], new AbortController().signal);

describe('sklearn documents: load errors', () => {
  it('rejects an unknown estimator type with an error naming it, even nested', async () => {
    const doc = fixture('column_transformer_onehot');
    const estimator = doc.estimator as { steps: Record<string, unknown>[] };
    estimator.steps[1] = { type: 'SVC', support_vectors: [] };
    await expect(load(folderWith(doc))).rejects.toMatchObject({ code: 'FERRY_ERR_UNSUPPORTED_MODEL', message: expect.stringContaining("unknown estimator type 'SVC'") });
  });

  it('rejects another format version, naming the one it reads', async () => {
    await expect(load(folderWith({ ...fixture('lasso'), version: 2 }))).rejects.toMatchObject({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringContaining('version 2 is not supported (this Ferry reads version 1)'),
    });
  });

  it('rejects a document that breaks the JSON Schema, pointing at the place', async () => {
    const doc = fixture('logistic_binary');
    const steps = (doc.estimator as { steps: Record<string, unknown>[] }).steps;
    delete steps[0]!.scale;
    await expect(load(folderWith(doc))).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringMatching(/schema: \/estimator\/steps\/0 must have required property 'scale'/) });
  });

  it('rejects sizes that do not fit the inputs', async () => {
    const doc = fixture('lasso');
    const steps = (doc.estimator as { steps: { coef?: number[] }[] }).steps;
    steps[1]!.coef = [1, 2];
    await expect(load(folderWith(doc))).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringContaining('coef has 2 entries, expected 4') });
  });

  it('rejects a tree whose children would loop', async () => {
    const doc = fixture('decision_tree_regressor');
    const tree = (doc.estimator as { tree: { left: number[] } }).tree;
    tree.left[1] = 0;
    await expect(load(folderWith(doc))).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringContaining('node 1 has children') });
  });

  it('rejects malformed JSON and an empty folder with load errors', async () => {
    await expect(load(folderWith('{"format": "ferry-sklearn", "version": 1,'))).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringContaining('not valid JSON') });
    await expect(load({ path: scratch, files: [] })).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: expect.stringContaining('no ferry-sklearn document') });
  });

  it('refuses the matrix layout for a model with string categories, and bad options', async () => {
    await expect(load(fixtureDir('column_transformer_onehot'), { inputs: 'matrix' })).rejects.toMatchObject({ message: expect.stringContaining('city, colour are categorical') });
    await expect(load(fixtureDir('lasso'), { inputs: 'rows' })).rejects.toMatchObject({ message: expect.stringContaining('options.inputs: expected named | matrix (got "rows")') });
  });
});

describe('sklearn documents: detection by content', () => {
  it('finds a ferry-sklearn document under any *.json name, and refuses other JSON', async () => {
    const renamed = folderWith(fixture('gaussian_nb'), 'pipeline.json');
    expect(await createSklearnRuntime().canLoad(renamed)).toBe(true);
    expect(await createSklearnRuntime().canLoad({ path: path.join(FIXTURES, 'lasso'), files: ['expected.json'] })).toBe(false);
  });
});

describe('sklearn requests', () => {
  it('serves the matrix layout for numeric models, with the same answers', async () => {
    const expected = readExpected('ridge');
    const names = ['a', 'b', 'c', 'd'];
    const rows = expected.predict!.length;
    const data = new Float64Array(rows * 4);
    names.forEach((n, j) => expected.inputs[n]!.forEach((v, r) => { data[r * 4 + j] = v as number; }));
    const [result] = await run(fixtureDir('ridge'), { inputs: [{ name: 'input', datatype: 'FP64', shape: [rows, 4], data }] }, { inputs: 'matrix' });
    const got = plainValues(result!.outputs[0]!) as number[];
    expected.predict!.forEach((want, r) => expect(close(got[r]!, want as number)).toBe(true));
  });

  it('answers merged requests exactly as it answers each alone, across chunk boundaries', async () => {
    const instance = await load(fixtureDir('column_transformer_onehot'));
    const expected = readExpected('column_transformer_onehot');
    const big = Object.fromEntries(Object.entries(expected.inputs).map(([k, v]) => [k, Array.from({ length: 120 }, () => v).flat()]));
    const small = requestFor(instance.signature.inputs, expected.inputs);
    const large = requestFor(instance.signature.inputs, big); // 4800 rows: several evaluation chunks
    const [a, b] = await instance.execute([small, large], new AbortController().signal);
    const alone = (await instance.execute([small], new AbortController().signal))[0]!;
    expect(plainValues(a!.outputs[1]!)).toEqual(plainValues(alone.outputs[1]!));
    expect(plainValues(b!.outputs[0]!)).toEqual(Array.from({ length: 120 }, () => expected.predict).flat());
  });

  it('reports an unseen category under handle_unknown=error as a request error', async () => {
    const doc = fixture('column_transformer_onehot');
    const prep = (doc.estimator as { steps: { transformers: { estimator: { steps: { handle_unknown?: string }[] } }[] }[] }).steps[0]!;
    prep.transformers[1]!.estimator.steps[1]!.handle_unknown = 'error';
    const instance = await load(folderWith(doc));
    const request = requestFor(instance.signature.inputs, { x: [1], y: [2], z: [3], city: ['atlantis'], colour: ['red'] });
    await expect(instance.execute([request], new AbortController().signal)).rejects.toMatchObject({
      code: 'FERRY_ERR_INVALID_REQUEST', message: expect.stringContaining("'atlantis', a category not seen in training"),
    });
  });

  it('names the model and the input when an input is missing', async () => {
    const instance = await load(fixtureDir('lasso'));
    const column = (name: string) => ({ name, datatype: 'FP64' as const, shape: [1], data: Float64Array.of(1) });
    await expect(instance.execute([{ inputs: [column('a'), column('b'), column('c')] }], new AbortController().signal))
      .rejects.toMatchObject({ code: 'FERRY_ERR_INPUT_MISSING', message: "model 'm' requires input 'd'" });
  });
});
