import { describe, expect, it } from 'vitest';
import type { ModelDir, Runtime } from '../runtimes/runtime.ts';
import { loadHint } from './load-hints.ts';
import { selectRuntime } from './runtime-selection.ts';

/** A runtime that recognises folders holding a file with its extension. */
function runtime(name: string, extension: string): Runtime {
  return {
    name,
    canLoad: async (dir) => dir.files.some((f) => f.endsWith(extension)),
    load: () => Promise.reject(new Error('not loaded in these tests')),
  };
}

const onnx = runtime('onnx', '.onnx');
const xgboost = runtime('xgboost', '.json');
const dir = (...files: string[]): ModelDir => ({ path: '/repo/m/1', files });

describe('choosing a runtime for a version folder', () => {
  it('takes the runtime model.yaml names, even when another recognises the files first', async () => {
    expect(await selectRuntime('m', [onnx, xgboost], dir('model.onnx'), 'xgboost')).toBe(xgboost);
  });

  it('refuses a runtime name nobody registered, listing the known ones', async () => {
    await expect(selectRuntime('m', [onnx, xgboost], dir('model.onnx'), 'torch')).rejects.toThrow(
      "failed to load model 'm': model.yaml runtime: unknown runtime 'torch'; expected onnx | xgboost",
    );
  });

  it('otherwise takes the first registered runtime that recognises the files', async () => {
    expect(await selectRuntime('m', [onnx, xgboost], dir('model.json'))).toBe(xgboost);
    expect(await selectRuntime('m', [onnx, xgboost], dir('model.json', 'model.onnx'))).toBe(onnx);
    expect(await selectRuntime('m', [xgboost, onnx], dir('model.json', 'model.onnx'))).toBe(xgboost);
  });

  it('names the first five files and says what to do when no runtime recognises them', async () => {
    const files = ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt'];
    await expect(selectRuntime('m', [onnx], dir(...files))).rejects.toThrow(
      "failed to load model 'm': no runtime recognises the files in /repo/m/1 (a.txt, b.txt, c.txt, d.txt, e.txt); set runtime: in model.yaml",
    );
    await expect(selectRuntime('m', [onnx], dir())).rejects.toThrow(
      'no runtime recognises the files in /repo/m/1 (empty); the version folder is empty: put the model file in it',
    );
    await expect(selectRuntime('m', [onnx], dir('model.pkl'))).rejects.toThrow('(model.pkl); pickles are not loaded');
  });
});

describe('hints for a version folder no runtime recognises', () => {
  it('says what to do with the formats of other servers and libraries, by file name in any folder and case', () => {
    expect(loadHint([])).toMatch(/^the version folder is empty/);
    for (const pickle of ['model.pkl', 'sub/Model.PICKLE', 'model.joblib']) expect(loadHint(['readme.md', pickle])).toMatch(/^pickles are not loaded/);
    expect(loadHint(['model.pkl.txt'])).toBeUndefined();
    expect(loadHint(['sub/config.pbtxt'])).toMatch(/^a Triton config\.pbtxt is not read/);
    expect(loadHint(['my-config.pbtxt'])).toBeUndefined();
    expect(loadHint(['notes.md', 'model.UBJ'])).toMatch(/^XGBoost's binary UBJSON format is not read/);
    expect(loadHint(['model.ubj.bak', 'notes.md'])).toBeUndefined();
  });

  it('tells TensorRT, TorchScript and TensorFlow files by their usual names only', () => {
    const onnx = "a TensorRT, TorchScript or TensorFlow model file is not read: export the model to ONNX (model.onnx)";
    for (const file of ['model.plan', 'sub/MODEL.PT', 'model.graphdef', 'saved_model.pb']) expect(loadHint(['notes.md', file])).toBe(onnx);
    for (const file of ['my_model.pt', 'model.pt.bak', 'old_saved_model.pb']) expect(loadHint(['notes.md', file])).toBeUndefined();
  });

  it('names pickles before a Triton config, and a Triton config before UBJSON, when a folder holds several', () => {
    expect(loadHint(['model.ubj', 'config.pbtxt', 'model.pkl'])).toMatch(/^pickles/);
    expect(loadHint(['model.ubj', 'config.pbtxt'])).toMatch(/^a Triton/);
  });
});
