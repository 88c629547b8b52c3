import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelInstance, Runtime, RuntimeLogger } from '../runtimes/runtime.ts';
import type { Executor, ExecutorFactory } from './executor.ts';
import { ModelManager, withoutPrefix } from './model-manager.ts';

/**
 * A runtime for `model.fake` files: the file's text is the one value the model answers; a text starting with
 * "broken" fails the load with the rest of the text as the reason.
 */
const fakeRuntime: Runtime = {
  name: 'fake',
  canLoad: async (dir) => dir.files.includes('model.fake'),
  async load(spec) {
    const text = await readFile(path.join(spec.dir.path, 'model.fake'), 'utf8');
    if (text.startsWith('broken')) throw new Error(`cannot read ${path.join(spec.dir.path, 'model.fake')}${text.slice(6)}`);
    const instance: ModelInstance = {
      signature: { platform: 'fake', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] },
      maxBatchSize: 0,
      execute: async (batch) => batch.map(() => ({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: Float32Array.of(Number(text)) }] })),
      unload: async () => {
        unloads.push(`${spec.name}/${spec.version}`);
      },
    };
    return instance;
  },
};

const direct: ExecutorFactory = (instances): Executor => ({
  enqueue: async (request) => (await instances[0]!.execute([request], new AbortController().signal))[0]!,
  drain: async () => {},
  refusal: () => undefined,
});

const quiet: RuntimeLogger = { debug() {}, info() {}, warn() {}, error() {} };

let root: string;
let unloads: string[];
let manager: ModelManager;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-manager-')));
  unloads = [];
  manager = new ModelManager({ root, runtimes: [fakeRuntime], executorFactory: direct, logger: quiet, threads: { intraOp: 1, interOp: 1 } });
});
afterEach(async () => {
  await manager.close();
  await rm(root, { recursive: true, force: true });
});

async function version(model: string, v: number, value: string): Promise<void> {
  await mkdir(path.join(root, model, String(v)), { recursive: true });
  await writeFile(path.join(root, model, String(v), 'model.fake'), value);
}
const yaml = (model: string, text: string) => writeFile(path.join(root, model, 'model.yaml'), text);
const answer = async (model: string, ref: { version?: string; label?: string } = {}) => {
  const served = manager.resolve(model, ref);
  const result = await served.executor!.enqueue({ inputs: [] }, {});
  return { version: served.version, value: (result.outputs[0]!.data as Float32Array)[0] };
};
const states = (model: string) => Object.fromEntries([...manager.model(model).versions].map(([v, s]) => [v, s.state]));

describe('model manager', () => {
  it('serves the newest version by default, and others by number or label', async () => {
    await version('m', 1, '10');
    await version('m', 2, '20');
    await version('m', 10, '100');
    await yaml('m', 'version_policy: all\nlabels: {stable: 2}\n');
    await manager.sync();
    expect(manager.has('m')).toBe(true);
    expect(states('m')).toEqual({ 1: 'AVAILABLE', 2: 'AVAILABLE', 10: 'AVAILABLE' });
    expect(await answer('m')).toEqual({ version: 10, value: 100 });
    expect(await answer('m', { version: '1' })).toEqual({ version: 1, value: 10 });
    expect(await answer('m', { label: 'stable' })).toEqual({ version: 2, value: 20 });
    expect(await answer('m', { version: 'stable' })).toEqual({ version: 2, value: 20 });
    expect(await answer('m', { version: '' })).toEqual({ version: 10, value: 100 });
  });

  it('answers 404s for unknown models, versions and labels, and refuses a version and a label together', async () => {
    await version('m', 1, '1');
    await yaml('m', 'labels: {stable: 1}\n');
    await manager.sync();
    const code = (ref: { version?: string; label?: string }, model = 'm') => {
      try {
        manager.resolve(model, ref);
      } catch (error) {
        return (error as { code: string }).code;
      }
      return 'resolved';
    };
    expect(code({}, 'nope')).toBe('FERRY_ERR_MODEL_NOT_FOUND');
    expect(code({ version: '7' })).toBe('FERRY_ERR_VERSION_NOT_FOUND');
    expect(code({ version: '1x' })).toBe('FERRY_ERR_VERSION_NOT_FOUND');
    expect(code({ label: 'canary' })).toBe('FERRY_ERR_LABEL_NOT_FOUND');
    expect(code({ version: '1', label: 'stable' })).toBe('FERRY_ERR_VERSION_AND_LABEL');
    expect(code({ version: '', label: 'stable' })).toBe('resolved');
    expect(() => manager.checkTarget('m', { version: '7' })).toThrow(/version/);
    expect(() => manager.checkTarget('m', { version: '1' })).not.toThrow();
  });

  it('serves a default_label for requests that name no version', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await yaml('m', 'version_policy: all\nlabels: {stable: 1}\ndefault_label: stable\n');
    await manager.sync();
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
    expect(await answer('m', { version: '2' })).toEqual({ version: 2, value: 2 });
  });

  it('keeps the last good version serving when the newest fails, and says so in the load answer', async () => {
    await version('m', 1, '1');
    await version('m', 2, 'broken: bad weights');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'AVAILABLE', 2: 'ERROR' });
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
    expect(manager.model('m').versions.get(2)!.reason).toBe('failed to load: cannot read m/2/model.fake: bad weights');
    expect(manager.model('m').versions.get(1)!.reason).toBe('last good version: serving in place of version 2, which could not be loaded');
    expect(manager.model('m').fallback()?.version).toBe(1);
    await expect(manager.load('m')).rejects.toThrow(
      "failed to load model 'm': version 2: failed to load: cannot read m/2/model.fake: bad weights; version 1 serves instead (last good version)",
    );
    // Fixed: the selected version serves and the fallback is unloaded.
    await version('m', 2, '2');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'END', 2: 'AVAILABLE' });
    expect(unloads).toEqual(['m/1']);
    expect(manager.model('m').fallback()).toBeUndefined();
  });

  it('reports a model with nothing that loads as not ready, naming the newest version and why', async () => {
    await version('m', 3, 'broken: no');
    await manager.sync();
    expect(() => manager.resolve('m', {})).toThrow("model 'm' version '3' is not ready (ERROR: failed to load: cannot read m/3/model.fake: no)");
    await expect(manager.load('m')).rejects.toThrow("failed to load model 'm': version 3: failed to load: cannot read m/3/model.fake: no");
    await mkdir(path.join(root, 'empty'));
    await manager.sync();
    expect(() => manager.resolve('empty', {})).toThrow("model 'empty' version 'none' is not ready (no version loaded)");
  });

  it('moves to a new version when it appears, unloading the one it replaces only once the new one serves', async () => {
    await version('m', 1, '1');
    await manager.sync();
    await version('m', 2, '2');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'END', 2: 'AVAILABLE' });
    expect(unloads).toEqual(['m/1']);
    expect(await answer('m')).toEqual({ version: 2, value: 2 });
    expect(() => manager.resolve('m', { version: '1' })).toThrow("model 'm' version '1' is not ready (END: no longer selected by the version policy)");
  });

  it('reloads a version whose files changed, and leaves it alone when nothing did', async () => {
    await version('m', 1, '1');
    await manager.sync();
    const first = manager.resolve('m', {});
    await manager.sync();
    expect(manager.resolve('m', {})).toBe(first);
    await writeFile(path.join(root, 'm/1/model.fake'), '1.5');
    await manager.sync();
    expect(await answer('m')).toEqual({ version: 1, value: 1.5 });
    expect(first.state).toBe('END');
    expect(unloads).toEqual(['m/1']);
  });

  it('unloads a model removed from the repository, and one unloaded on request until it is loaded again', async () => {
    await version('a', 1, '1');
    await version('b', 1, '2');
    await manager.sync();
    expect(manager.models().map((m) => m.name)).toEqual(['a', 'b']);
    await rm(path.join(root, 'a'), { recursive: true });
    await manager.unload('b');
    await manager.sync();
    expect(states('a')).toEqual({ 1: 'END' });
    expect(manager.model('a').inRepository).toBe(false);
    expect(states('b')).toEqual({ 1: 'END' });
    expect(manager.model('b').explicitlyUnloaded).toBe(true);
    await manager.load('b');
    expect(await answer('b')).toEqual({ version: 1, value: 2 });
    await expect(manager.load('a')).rejects.toMatchObject({ code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND' });
  });

  it('rejects a model.yaml whose label points at a missing version, keeping what serves', async () => {
    await version('m', 1, '1');
    await manager.sync();
    await yaml('m', 'labels: {stable: 5}\n');
    await manager.sync();
    expect(manager.model('m').configError).toBe("failed to load model 'm': model.yaml labels.stable: version 5 does not exist (versions: 1)");
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
    await expect(manager.load('m')).rejects.toThrow('model.yaml labels.stable: version 5 does not exist (versions: 1)');
  });

  it('loads a configuration given with a load in place of model.yaml, and puts the old one back when it fails', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await manager.sync();
    await manager.load('m', { config: { version_policy: { specific: [1] } } });
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
    await expect(manager.load('m', { config: { runtime: 'onnx' } })).rejects.toThrow("failed to load model 'm': version 2: model.yaml runtime: unknown runtime 'onnx'; expected fake");
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
    await manager.load('m');
    expect(await answer('m')).toEqual({ version: 2, value: 2 });
  });

  it('places uploaded files as version folders, and removes them again when their load fails', async () => {
    await manager.load('up', { files: new Map([['1/model.fake', new TextEncoder().encode('7')]]) });
    expect(await answer('up')).toEqual({ version: 1, value: 7 });
    await expect(manager.load('up', { files: new Map([['2/model.fake', new TextEncoder().encode('broken: no')]]) })).rejects.toThrow(
      "failed to load model 'up': version 2: failed to load: cannot read up/2/model.fake: no",
    );
    expect(states('up')).toEqual({ 1: 'AVAILABLE' });
    await expect(readFile(path.join(root, 'up/2/model.fake'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads class labels one per line, LF or CRLF, without an empty last class', async () => {
    await version('m', 1, '1');
    await writeFile(path.join(root, 'm/labels.txt'), 'cat\r\ndog\n\nbird\n');
    await manager.sync();
    expect(manager.model('m').classLabels).toEqual(['cat', 'dog', '', 'bird']);
  });

  it('loads as many instances as model.yaml asks for', async () => {
    await version('m', 1, '1');
    await yaml('m', 'instances: 3\n');
    await manager.sync();
    expect(manager.resolve('m', {}).instances).toHaveLength(3);
    await manager.close();
    expect(unloads).toEqual(['m/1', 'm/1', 'm/1']);
  });
});

describe('load error text', () => {
  it('drops every "failed to load model" prefix of that model, and no other text', () => {
    expect(withoutPrefix('m', "failed to load model 'm': failed to load model 'm': bad")).toBe('bad');
    expect(withoutPrefix('m', "failed to load model 'n': bad")).toBe("failed to load model 'n': bad");
    expect(withoutPrefix('m', 'bad')).toBe('bad');
  });
});
