import { mkdir, mkdtemp, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRepository } from './test-support/manager-fixture.ts';

let repo: FakeRepository;

beforeEach(async () => {
  repo = await FakeRepository.open();
});
afterEach(() => repo.close());

const versionsLoaded = (from = 0) => repo.loads.slice(from).map((l) => l.spec.version);

describe('model manager edges', () => {
  it('knows its root, and has skipped nothing before its first scan', () => {
    expect(repo.manager.root).toBe(repo.root);
    expect(repo.manager.skipped()).toEqual([]);
  });

  it('names the newest version when every version failed', async () => {
    await repo.version('m', 1, 'broken: one');
    await repo.version('m', 2, 'broken: two');
    await repo.yaml('m', 'version_policy: all\n');
    await repo.manager.sync();
    expect([...repo.manager.model('m').versions.keys()]).toEqual([1, 2]);
    expect(() => repo.manager.resolve('m', {})).toThrow("model 'm' version '2' is not ready (ERROR: failed to load: cannot read m/2/model.fake: two)");
  });

  it('answers a plain load that meets a new broken version with the version that serves instead', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    await repo.version('m', 2, 'broken: no');
    expect(await FakeRepository.failure(() => repo.manager.load('m'))).toEqual({
      code: 'FERRY_ERR_MODEL_LOAD_FAILED',
      message: "failed to load model 'm': version 2: failed to load: cannot read m/2/model.fake: no; version 1 serves instead (last good version)",
    });
  });

  it('has nothing to put back after a load of a model the repository lacks', async () => {
    await expect(repo.manager.load('gone')).rejects.toMatchObject({ code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND' });
    expect(repo.logs.filter((r) => r.level >= 50)).toEqual([]);
  });

  it('keeps the error of a failed version while its folder is changing', async () => {
    await repo.version('m', 1, '1');
    await repo.version('m', 2, 'broken: no');
    await repo.manager.sync();
    await repo.version('m', 2, 'broken: still copying');
    await repo.manager.sync({ waitForQuiet: true });
    expect(repo.reason('m', 2)).toBe('failed to load: cannot read m/2/model.fake: no');
  });

  it('takes a folder put back as it was loaded as quiet at once, and forgets why it waited', async () => {
    await repo.version('m', 1, '1');
    const file = path.join(repo.root, 'm/1/model.fake');
    await utimes(file, 1_000_000, 1_000_000);
    await repo.manager.sync();
    const served = repo.manager.resolve('m', {});
    await writeFile(file, '2');
    await utimes(file, 2_000_000, 2_000_000);
    await repo.manager.sync({ waitForQuiet: true });
    expect(served.reason).toBe('its folder is changing: the new files load once it is the same for a poll');
    await writeFile(file, '1');
    await utimes(file, 1_000_000, 1_000_000);
    await repo.manager.sync({ waitForQuiet: true });
    expect(repo.manager.resolve('m', {})).toBe(served);
    expect(served.reason).toBeUndefined();
  });

  it('drops from status an unloaded version whose folder is gone, and failed versions the policy no longer selects', async () => {
    await repo.version('m', 1, '1');
    await repo.version('m', 2, 'broken: no');
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE', 2: 'ERROR' });
    await repo.version('m', 3, '3');
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'END', 3: 'AVAILABLE' });
    await rm(path.join(repo.root, 'm/1'), { recursive: true });
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 3: 'AVAILABLE' });
  });

  it('falls back to a version between selected ones, and never to one newer than they are', async () => {
    for (const [v, text] of [[1, 'broken: one'], [2, '2'], [3, 'broken: three']] as const) await repo.version('m', v, text);
    await repo.yaml('m', 'version_policy: {specific: [1, 3]}\n');
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'ERROR', 2: 'AVAILABLE', 3: 'ERROR' });
    expect(versionsLoaded()).toEqual(['1', '3', '2']);
    await repo.version('n', 1, 'broken: one');
    await repo.version('n', 2, 'broken: two');
    await repo.version('n', 3, '3');
    await repo.yaml('n', 'version_policy: {specific: [2]}\n');
    const before = repo.loads.length;
    await repo.manager.sync();
    expect(versionsLoaded(before)).toEqual(['2', '1']);
    expect(repo.states('n')).toEqual({ 2: 'ERROR' });
  });

  it('does not try a failed fallback again while its files stay the same', async () => {
    await repo.version('m', 1, 'broken: one');
    await repo.version('m', 2, 'broken: two');
    await repo.manager.sync();
    expect(versionsLoaded()).toEqual(['2', '1']);
    await repo.version('m', 2, 'broken: again');
    await repo.manager.sync();
    expect(versionsLoaded(2)).toEqual(['2']);
  });

  it('keeps one "failed to load model" prefix on a load error wrapped in several', async () => {
    await repo.version('m', 1, 'wrapped');
    await repo.manager.sync();
    expect(repo.reason('m', 1)).toBe("failed to load model 'm': inner");
  });

  it('logs an unscannable version again when the reason changes', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'ferry-outside-'));
    try {
      await repo.version('m', 1, '1');
      await symlink(outside, path.join(repo.root, 'm/2'));
      await repo.manager.sync();
      await rm(path.join(repo.root, 'm/2'));
      await symlink(path.join(outside, 'missing'), path.join(repo.root, 'm/2'));
      await repo.manager.sync();
      await repo.manager.sync();
      expect(repo.logged('model version not scanned').map((r) => r.reason)).toEqual([
        'the version folder is a symbolic link to a path outside the repository and repository.allowed_paths',
        repo.reason('m', 2),
      ]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('passes no models-as-code keys model.yaml does not set', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    expect(Object.keys(repo.loads[0]!.spec.options)).toEqual([]);
  });

  it('holds no instances once a version is unloaded', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    const served = repo.manager.resolve('m', {});
    await repo.manager.unload('m');
    expect([served.instance, served.instances, served.executor]).toEqual([undefined, [], undefined]);
  });

  it('keeps the last class label of a labels file without a final newline', async () => {
    await repo.version('m', 1, '1');
    await writeFile(path.join(repo.root, 'm/labels.txt'), 'cat\ndog');
    await repo.manager.sync();
    expect(repo.manager.model('m').classLabels).toEqual(['cat', 'dog']);
  });

  it('loads a model linked from an allowed path on request, and ignores an allowed path that does not exist', async () => {
    const base = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-allowed-')));
    const linked = await FakeRepository.open({ allowedPaths: [path.join(base, 'missing'), base] });
    try {
      await mkdir(path.join(base, 'm/1'), { recursive: true });
      await writeFile(path.join(base, 'm/1/model.fake'), `broken: see ${base}/notes.txt`);
      await symlink(path.join(base, 'm'), path.join(linked.root, 'm'));
      await expect(linked.manager.load('m')).rejects.toThrow("failed to load model 'm': version 1: failed to load: cannot read m/1/model.fake: see [allowed_paths]/notes.txt");
    } finally {
      await linked.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});
