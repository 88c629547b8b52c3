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
    tensorrt_plan: { 'model.plan': 'plan bytes' },
  };
  // Model folders without a version folder: files one level too high.
  const modelFolders: Record<string, Record<string, string>> = {
    mlflow_unversioned: { MLmodel: 'flavors:\n  sklearn:\n    pickled_model: model.pkl\n', 'model.pkl': '' },
    triton_config: { 'config.pbtxt': 'name: "triton_config"\n' },
    onnx_unversioned: { 'model.onnx': 'bytes' },
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ferry-hints-'));
    for (const [model, files] of Object.entries(folders)) {
      await mkdir(path.join(root, model, '1'), { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, model, '1', file), text);
    }
    for (const [model, files] of Object.entries(modelFolders)) {
      await mkdir(path.join(root, model), { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, model, file), text);
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
    expect(reasonOf('tensorrt_plan')).toMatch(/; a TensorRT, TorchScript or TensorFlow model file is not read: export the model to ONNX \(model\.onnx\)$/);
    expect(reasonOf('half_plus_two')).toBeUndefined();
  });

  it('says what a model folder without a version folder holds, in readiness and the repository index', async () => {
    const report = await ferry.server.dataplane.readiness();
    const reason = (model: string) => report.notReady.find((m) => m.name === model)?.reason;
    expect(reason('mlflow_unversioned')).toBe('no version folder: it holds an MLflow model: move its files into a version folder, mlflow_unversioned/1/');
    expect(reason('triton_config')).toBe('no version folder: it holds a Triton config.pbtxt, which is not read: put the model file in triton_config/1/ (exported to ONNX) and settings in triton_config/model.yaml');
    expect(reason('onnx_unversioned')).toBe('no version folder: its model files sit one level too high: move model.onnx into a version folder, onnx_unversioned/1/');
    const index = ferry.server.dataplane.repositoryIndex();
    expect(index.find((e) => e.name === 'onnx_unversioned')).toMatchObject({ state: 'UNAVAILABLE', reason: reason('onnx_unversioned') });
  });
});
