import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFolderHint, repositoryLayoutHint } from './layout-hints.ts';

const folder = (name: string) => ({ name, folder: true });
const file = (name: string) => ({ name, folder: false });

describe('repositoryLayoutHint', () => {
  it('a folder of version folders is a model folder: serve its parent, where it is the model', () => {
    expect(repositoryLayoutHint('/srv/models/fraud', [folder('1'), folder('2'), file('model.yaml')])).toBe(
      "/srv/models/fraud holds only version folders (1, 2): it is a model folder, not a repository; serve the folder above it (ferry serve /srv/models), where it is model 'fraud'; a repository holds model folders, DIR/<model>/<version>/<model file>",
    );
  });

  it("a version folder holds a model's files: serve the repository two levels up", () => {
    expect(repositoryLayoutHint('/srv/models/fraud/3', [file('model.onnx')])).toBe(
      "/srv/models/fraud/3 holds a model's files (model.onnx): it is a version folder, not a repository; serve the repository two levels up (ferry serve /srv/models); a repository holds model folders, DIR/<model>/<version>/<model file>",
    );
  });

  it('an MLflow model folder is named, with the commands that make a repository of it, even with its subfolders', () => {
    expect(repositoryLayoutHint('/tmp/churn', [file('MLmodel'), file('model.pkl'), file('conda.yaml'), folder('code')])).toBe(
      "/tmp/churn holds a model's files (MLmodel, model.pkl), not model folders; a repository holds model folders, DIR/<model>/<version>/<model file>: mkdir -p models/churn/1 && cp -r /tmp/churn/* models/churn/1/ && ferry serve models",
    );
    expect(repositoryLayoutHint('/tmp/tri', [file('config.pbtxt'), folder('1')])).toMatch(/^\/tmp\/tri holds only version folders/);
  });

  it('resolves a relative path before naming the folder above it', () => {
    expect(repositoryLayoutHint('.', [folder('1')])).toContain(`(ferry serve ${path.dirname(process.cwd())}), where it is model '${path.basename(process.cwd())}'`);
  });

  it('a repository, an empty folder, or model folders beside a stray file and hidden folders are left alone', () => {
    expect(repositoryLayoutHint('/srv/models', [folder('fraud'), folder('churn')])).toBeUndefined();
    expect(repositoryLayoutHint('/srv/models', [])).toBeUndefined();
    expect(repositoryLayoutHint('/srv/models', [folder('fraud'), file('model.onnx'), folder('.git'), file('README.md')])).toBeUndefined();
    expect(repositoryLayoutHint('/srv/models', [folder('fraud'), folder('1')])).toBeUndefined();
    expect(repositoryLayoutHint('/srv/models', [file('README.md'), file('ferry.yaml')])).toBeUndefined();
  });
});

describe('modelFolderHint', () => {
  it('names an MLflow model, a Triton config and model files placed one level too high; nothing for other files', () => {
    expect(modelFolderHint('churn', ['MLmodel', 'model.pkl'])).toBe('it holds an MLflow model: move its files into a version folder, churn/1/');
    expect(modelFolderHint('tri', ['config.pbtxt'])).toBe("it holds a Triton config.pbtxt, which is not read: put the model file in tri/1/ (exported to ONNX) and settings in tri/model.yaml");
    expect(modelFolderHint('iris', ['model.json', 'README.md'])).toBe('its model files sit one level too high: move model.json into a version folder, iris/1/');
    expect(modelFolderHint('iris', ['README.md', 'example.json'])).toBeUndefined();
    expect(modelFolderHint('iris', [])).toBeUndefined();
  });
});
