import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withoutPrefix, type ModelManager } from './model-manager.ts';
import { FakeRepository } from './test-support/manager-fixture.ts';

let repo: FakeRepository;
let root: string;
let unloads: string[];
let manager: ModelManager;

beforeEach(async () => {
  repo = await FakeRepository.open();
  ({ root, unloads, manager } = repo);
});
afterEach(() => repo.close());

const version = (model: string, v: number, value: string) => repo.version(model, v, value);
const yaml = (model: string, text: string) => repo.yaml(model, text);
const answer = (model: string, ref: { version?: string; label?: string } = {}) => repo.answer(model, ref);
const states = (model: string) => repo.states(model);

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

describe('what a request is told', () => {
  it('names the model, version and label it could not find', async () => {
    await version('m', 1, '1');
    await version('m', 10, '10');
    await yaml('m', 'version_policy: all\nlabels: {stable: 1}\n');
    await manager.sync();
    const failure = (ref: { version?: string; label?: string }, model = 'm') => FakeRepository.failure(() => manager.resolve(model, ref));
    expect(await failure({}, 'nope')).toEqual({ code: 'FERRY_ERR_MODEL_NOT_FOUND', message: "model 'nope' not found" });
    expect(await failure({ label: 'canary' })).toEqual({ code: 'FERRY_ERR_LABEL_NOT_FOUND', message: "model 'm' has no label 'canary'" });
    expect(await failure({ version: 'canary' })).toEqual({ code: 'FERRY_ERR_VERSION_NOT_FOUND', message: "model 'm' has no version 'canary'" });
    // Only plain digits name a version: these would be 1 as JavaScript numbers.
    for (const text of ['1.0', '+1', '0x1', ' 1', '1 ']) {
      expect(await failure({ version: text })).toEqual({ code: 'FERRY_ERR_VERSION_NOT_FOUND', message: `model 'm' has no version '${text}'` });
    }
    expect(await answer('m', { version: '10' })).toEqual({ version: 10, value: 10 });
  });

  it('says when a label points at a version that is not loaded', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await yaml('m', 'labels: {old: 1}\n');
    await manager.sync();
    expect(states('m')).toEqual({ 2: 'AVAILABLE' });
    expect(await FakeRepository.failure(() => manager.resolve('m', { label: 'old' }))).toEqual({
      code: 'FERRY_ERR_MODEL_NOT_READY', message: "model 'm' version '1' is not ready (label 'old' points at a version that is not loaded)",
    });
  });

  it('names the newest version when none serves, whatever order the versions loaded in', async () => {
    await version('m', 5, 'broken: five');
    await yaml('m', 'version_policy: {latest: 2}\n');
    await manager.sync();
    await version('m', 4, 'broken: four');
    await manager.sync();
    expect([...manager.model('m').versions.keys()]).toEqual([5, 4]);
    expect(() => manager.resolve('m', {})).toThrow("model 'm' version '5' is not ready (ERROR: failed to load: cannot read m/5/model.fake: five)");
    // A load answers with the first selected version that failed.
    expect(await FakeRepository.failure(() => manager.load('m'))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'm': version 4: failed to load: cannot read m/4/model.fake: four",
    });
  });

  it('says why each version stopped serving', async () => {
    await version('m', 1, '1');
    await manager.sync();
    const first = manager.resolve('m', {});
    await writeFile(path.join(root, 'm/1/model.fake'), '1.5');
    await manager.sync();
    expect(first.reason).toBe('replaced by edited files');
    await manager.unload('m');
    expect(() => manager.resolve('m', { version: '1' })).toThrow("model 'm' version '1' is not ready (END: unloaded on request)");
    await manager.load('m');
    await rm(path.join(root, 'm'), { recursive: true });
    await manager.sync();
    expect(() => manager.resolve('m', {})).toThrow("model 'm' version '1' is not ready (END: removed from the repository)");
    await version('n', 1, '1');
    await manager.sync();
    const served = manager.resolve('n', {});
    await manager.close();
    expect([served.state, served.reason]).toEqual(['END', 'server stopping']);
  });

  it('lists models by name, whatever order they were loaded in', async () => {
    await version('b', 1, '1');
    await version('a', 1, '1');
    await manager.load('b');
    await manager.load('a');
    expect(manager.models().map((m) => m.name)).toEqual(['a', 'b']);
  });
});

describe('versions that change', () => {
  it('keeps the loaded copy serving when an edit breaks it, and says so in the load answer', async () => {
    await version('m', 1, '1');
    await manager.sync();
    const first = manager.resolve('m', {});
    await version('m', 1, 'broken: half-written');
    await manager.sync();
    expect(manager.resolve('m', {})).toBe(first);
    expect(states('m')).toEqual({ 1: 'AVAILABLE' });
    expect(unloads).toEqual([]);
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
  });

  it('reloads a version when model.yaml changes what it was built from, not for labels or the policy', async () => {
    await version('m', 1, '1');
    await manager.sync();
    const first = manager.resolve('m', {});
    await yaml('m', 'labels: {stable: 1}\nversion_policy: all\n');
    await manager.sync();
    expect(manager.resolve('m', {})).toBe(first);
    await yaml('m', 'labels: {stable: 1}\ninstances: 2\n');
    await manager.sync();
    expect(manager.resolve('m', {}).instances).toHaveLength(2);
    expect(first.state).toBe('END');
  });

  it('unloads a version the policy no longer selects though a selected one failed, as long as another selected one serves', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await yaml('m', 'version_policy: {latest: 2}\n');
    await manager.sync();
    await version('m', 3, 'broken: no');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'END', 2: 'AVAILABLE', 3: 'ERROR' });
    expect(manager.model('m').fallback()).toBeUndefined();
    expect(manager.model('m').selected).toEqual([2, 3]);
  });

  it('serves the newest older version that loads in place of a failed one, and forgets versions that are gone', async () => {
    await version('m', 1, '1');
    await version('m', 2, 'broken: two');
    await version('m', 3, 'broken: three');
    await version('m', 4, 'broken: four');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'AVAILABLE', 4: 'ERROR' });
    expect(repo.reason('m', 1)).toBe('last good version: serving in place of version 4, which could not be loaded');
    // Fallbacks that failed are not tried again while their files stay the same.
    const tried = repo.loads.length;
    await version('m', 4, 'broken: still');
    await manager.sync();
    expect(repo.loads.slice(tried).map((l) => l.spec.version)).toEqual(['4']);
    // The fixed version serves; the failed ones leave status once the policy no longer selects them.
    await rm(path.join(root, 'm/4'), { recursive: true });
    await version('m', 3, '3');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'END', 3: 'AVAILABLE' });
  });

  it('tries a failed fallback again once a selected version has served in between', async () => {
    await version('m', 1, 'broken: one');
    await version('m', 2, 'broken: two');
    await manager.sync();
    await version('m', 2, '2');
    await manager.sync();
    await version('m', 2, 'broken: again');
    await manager.unload('m');
    const tried = repo.loads.length;
    await manager.load('m').catch(() => undefined);
    expect(repo.loads.slice(tried).map((l) => l.spec.version)).toEqual(['2', '1']);
  });
});

describe('explicit loads', () => {
  it('refuses a configuration that fails any version, though an older copy serves, and puts the old one back', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await manager.sync();
    await manager.load('m', { config: { version_policy: { specific: [1] } } });
    expect(await FakeRepository.failure(() => manager.load('m', { config: { runtime: 'onnx' } }))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'm': version 2: model.yaml runtime: unknown runtime 'onnx'; expected fake",
    });
    expect(manager.model('m').config).toEqual({ version_policy: { kind: 'specific', versions: [1] } });
    expect(manager.model('m').selected).toEqual([1]);
    expect(await answer('m')).toEqual({ version: 1, value: 1 });
  });

  it('refuses uploaded files that fail to load, though an older version serves', async () => {
    await manager.load('up', { files: new Map([['1/model.fake', new TextEncoder().encode('7')]]) });
    expect(await FakeRepository.failure(() => manager.load('up', { files: new Map([['2/model.fake', new TextEncoder().encode('broken: no')]]) }))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'up': version 2: failed to load: cannot read up/2/model.fake: no",
    });
    expect(repo.logged('model could not be restored after a failed load')).toEqual([]);
  });

  it('keeps the configuration an earlier load gave when an upload is refused', async () => {
    await version('m', 1, '1');
    await version('m', 2, '2');
    await manager.load('m', { config: { version_policy: { specific: [1] } } });
    const refused = await FakeRepository.failure(() => manager.load('m', { config: {}, files: new Map([['x/model.fake', new Uint8Array(1)]]) }));
    expect(refused).toMatchObject({ code: 'FERRY_ERR_UPLOAD_INVALID' });
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'AVAILABLE' });
  });

  it('takes uploads up to repository.upload_max_bytes, 64 MiB unless set', async () => {
    const files = (bytes: number) => new Map([['1/model.fake', new TextEncoder().encode('7')], ['1/weights.bin', new Uint8Array(bytes)]]);
    await manager.load('big', { files: files(100_000) });
    expect(await answer('big')).toEqual({ version: 1, value: 7 });
    const tooLarge = await FakeRepository.failure(() => manager.load('big', { files: files(64 * 1024 * 1024) }));
    expect(tooLarge).toMatchObject({ code: 'FERRY_ERR_UPLOAD_TOO_LARGE' });
    const small = await FakeRepository.open({ uploadMaxBytes: 10 });
    try {
      expect(await FakeRepository.failure(() => small.manager.load('m', { files: files(10) }))).toEqual({
        code: 'FERRY_ERR_UPLOAD_TOO_LARGE',
        message: "upload of model 'm' is 11 bytes, more than the limit of 10 bytes (setting: repository.upload_max_bytes / FERRY_REPOSITORY_UPLOAD_MAX_BYTES)",
      });
    } finally {
      await small.close();
    }
  });

  it('answers a load of a model folder without versions, a file, or a link out of the repository', async () => {
    await mkdir(path.join(root, 'empty'));
    expect(await FakeRepository.failure(() => manager.load('empty'))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'empty': no version to load",
    });
    await writeFile(path.join(root, 'file'), 'not a model');
    expect(await FakeRepository.failure(() => manager.load('file'))).toEqual({
      code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND', message: "failed to load model 'file': the repository has no model of that name",
    });
    expect(await FakeRepository.failure(() => manager.load('gone'))).toEqual({
      code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND', message: "failed to load model 'gone': the repository has no model of that name",
    });
    await symlink(tmpdir(), path.join(root, 'outside'));
    expect(await FakeRepository.failure(() => manager.load('outside'))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED',
      message: "failed to load model 'outside': the model folder is a symbolic link to a path outside the repository and repository.allowed_paths",
    });
  });

  it('passes models-as-code keys of model.yaml to the runtime with its options, and the declared signature', async () => {
    await version('m', 1, '1');
    await yaml('m', 'python: bin/python\nallow_pickle: true\nenv_manager: local\noptions: {threads: 2}\ninputs: [{name: x, datatype: FP32, shape: [-1]}]\n');
    await manager.sync();
    const { spec, context } = repo.loads[0]!;
    expect(spec.options).toEqual({ python: 'bin/python', allow_pickle: true, env_manager: 'local', threads: 2 });
    expect(spec.declared).toEqual({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: undefined });
    expect(context.threads).toEqual({ intraOp: 1, interOp: 1 });
    await version('n', 1, '1');
    await manager.sync();
    expect(repo.loads[1]!.spec.options).toEqual({});
    expect(repo.executors.map((e) => [e.model, e.version])).toEqual([['m', '1'], ['n', '1']]);
    expect(repo.executors[0]!.config.python).toBe('bin/python');
  });

  it('unloads the instance again when model.yaml overrides a tensor the model does not have', async () => {
    await version('m', 1, '1');
    await yaml('m', 'inputs: [{name: z, source: nope}]\n');
    await manager.sync();
    expect(states('m')).toEqual({ 1: 'ERROR' });
    expect(repo.reason('m', 1)).toBe("failed to load model 'm': model.yaml overrides 'nope', which the model does not have (has: x)");
    expect(unloads).toEqual(['m/1']);
  });
});

describe('repository.allowed_paths', () => {
  it('serves a model linked from an allowed path, and names files there without saying where that is', async () => {
    const base = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-allowed-')));
    const elsewhere = path.join(base, 'real');
    // The setting names the place through a link; reasons may name it by its real path.
    await mkdir(path.join(elsewhere, 'models/m/1'), { recursive: true });
    await symlink(elsewhere, path.join(base, 'alias'));
    const linked = await FakeRepository.open({ allowedPaths: [path.join(base, 'alias')] });
    try {
      await writeFile(path.join(elsewhere, 'models/m/1/model.fake'), '3');
      await mkdir(path.join(elsewhere, 'models/m/2'));
      await writeFile(path.join(elsewhere, 'models/m/2/model.fake'), `broken: see ${elsewhere}/models/notes.txt`);
      await symlink(path.join(elsewhere, 'models/m'), path.join(linked.root, 'm'));
      await linked.manager.sync();
      expect(await linked.answer('m')).toEqual({ version: 1, value: 3 });
      expect(linked.reason('m', 2)).toBe('failed to load: cannot read m/2/model.fake: see [allowed_paths]/models/notes.txt');
    } finally {
      await linked.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});
