import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_MODELS, startFerry, type RunningFerry } from './helpers/server.ts';

/** A version folder no runtime recognises is reported with what it most likely holds and what to do instead. */
describe('load hints name the real cause', () => {
  let root: string;
  let ferry: RunningFerry;
  const folders: Record<string, Record<string, string>> = {
    empty_version: {},
    pickled: { 'model.pkl': '\x80\x04pickle bytes' },
    triton_layout: { 'config.pbtxt': 'name: "x"\nplatform: "onnxruntime_onnx"\n' },
    xgboost_ubj: { 'model.ubj': '{' },
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ferry-hints-'));
    for (const [model, files] of Object.entries(folders)) {
      await mkdir(path.join(root, model, '1'), { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, model, '1', file), text);
    }
    await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(root, 'half_plus_two'), { recursive: true });
    ferry = await startFerry({ model_repository: root, readiness: { require: ['half_plus_two'] } });
  });
  afterAll(async () => {
    await ferry?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const reasonOf = (model: string) => ferry.server.dataplane.modelStatus(model).versions[0]!.reason;

  it('says what each folder holds and what to do', () => {
    expect(reasonOf('empty_version')).toMatch(/; the version folder is empty: put the model file in it \(model\.onnx, model\.json, model\.txt, model\.pmml, \.\.\.\)$/);
    expect(reasonOf('pickled')).toMatch(/; pickles are not loaded; export with ferry_sklearn, or see models-as-code$/);
    expect(reasonOf('triton_layout')).toMatch(/; a Triton config\.pbtxt is not read: Ferry's model settings go in model\.yaml/);
    expect(reasonOf('xgboost_ubj')).toMatch(/; XGBoost's binary UBJSON format is not read: save the model as JSON/);
    expect(reasonOf('half_plus_two')).toBeUndefined();
  });
});
