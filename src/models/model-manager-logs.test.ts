import { mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR, FakeRepository, WARN } from './test-support/manager-fixture.ts';

const INFO = 30;
let repo: FakeRepository;
let outside: string;

beforeEach(async () => {
  repo = await FakeRepository.open();
  outside = await mkdtemp(path.join(tmpdir(), 'ferry-outside-'));
});
afterEach(async () => {
  await repo.close();
  await rm(outside, { recursive: true, force: true });
});

describe('what the manager logs', () => {
  it('logs each version that loads, fails or unloads, with the model, version and why', async () => {
    await repo.version('m', 1, '1');
    await repo.version('m', 2, 'broken: bad weights');
    const before = performance.now();
    await repo.manager.sync();
    const took = performance.now() - before;
    const available = repo.logged('model version AVAILABLE');
    expect(available).toEqual([{ level: INFO, model: 'm', version: 1, runtime: 'fake', instances: 1, ms: expect.any(Number) }]);
    expect(available[0]!.ms).toBeLessThanOrEqual(Math.ceil(took));
    expect(repo.logged('model version failed to load')).toEqual([
      { level: ERROR, model: 'm', version: 2, reason: 'failed to load: cannot read m/2/model.fake: bad weights' },
    ]);
    expect(repo.logged('selected version failed to load; serving the last good version')).toEqual([{ level: WARN, model: 'm', version: 1, failed: [2] }]);
    await repo.manager.sync();
    expect(repo.logged('selected version failed to load; serving the last good version')).toHaveLength(1);
    await repo.manager.unload('m');
    expect(repo.logged('model version unloaded')).toEqual([{ level: INFO, model: 'm', version: 1, why: 'unloaded on request' }]);
  });

  it('counts each failed version load', async () => {
    const failures: string[] = [];
    await repo.close();
    repo = await FakeRepository.open({ onLoadFailure: (model, version) => failures.push(`${model}/${version}`) });
    await repo.version('m', 1, 'broken: one');
    await repo.version('m', 2, 'broken: two');
    await repo.manager.sync();
    expect(failures).toEqual(['m/2', 'm/1']);
  });

  it('logs a rejected model.yaml once for each new reason, and keeps what serves', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    await repo.yaml('m', 'labels: {stable: 5}\n');
    await repo.manager.sync();
    await repo.manager.sync();
    await repo.yaml('m', 'labels: {stable: 6}\n');
    await repo.manager.sync();
    expect(repo.logged('model.yaml rejected; versions already serving are kept')).toEqual([
      { level: ERROR, model: 'm', reason: "failed to load model 'm': model.yaml labels.stable: version 5 does not exist (versions: 1)" },
      { level: ERROR, model: 'm', reason: "failed to load model 'm': model.yaml labels.stable: version 6 does not exist (versions: 1)" },
    ]);
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
  });

  it('names the versions there are, in order, when a label points at none of them', async () => {
    for (const v of [10, 9, 2]) await repo.version('m', v, String(v));
    await repo.yaml('m', 'labels: {stable: 5}\n');
    await repo.manager.sync();
    expect(repo.manager.model('m').configError).toBe("failed to load model 'm': model.yaml labels.stable: version 5 does not exist (versions: 2, 9, 10)");
    await mkdir(path.join(repo.root, 'empty'));
    await repo.yaml('empty', 'labels: {stable: 1}\n');
    await repo.manager.sync();
    expect(repo.manager.model('empty').configError).toBe("failed to load model 'empty': model.yaml labels.stable: version 1 does not exist (versions: none)");
  });

  it('logs a repository entry it skips once, until it changes', async () => {
    await mkdir(path.join(repo.root, 'bad name'));
    await repo.manager.sync();
    await repo.manager.sync();
    expect(repo.manager.skipped()).toEqual([{ path: 'bad name', reason: 'not a valid model name' }]);
    await symlink(outside, path.join(repo.root, 'elsewhere'));
    await repo.manager.sync();
    expect(repo.logged('repository entry skipped')).toEqual([
      { level: WARN, path: 'bad name', reason: 'not a valid model name' },
      { level: WARN, path: 'elsewhere', reason: 'the model folder is a symbolic link to a path outside the repository and repository.allowed_paths' },
    ]);
  });

  it('logs an unload that fails, and still ends the version', async () => {
    await repo.version('m', 1, 'unload-fails 1');
    await repo.manager.sync();
    await repo.manager.unload('m');
    expect(repo.states('m')).toEqual({ 1: 'END' });
    expect(repo.logged('unload failed')).toMatchObject([{ level: ERROR, model: 'm', version: 1, err: { message: 'the runtime would not let go' } }]);
  });
});

describe('versions that fail while serving', () => {
  it('moves a version whose instance gives up to ERROR with why, once, and lets it go', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    const served = repo.manager.resolve('m', {});
    const failed = repo.loads[0]!.context.failed!;
    failed('its worker keeps crashing');
    expect([served.state, served.reason, served.instance, served.instances, served.executor]).toEqual(['ERROR', 'its worker keeps crashing', undefined, [], undefined]);
    failed('again');
    expect(served.reason).toBe('its worker keeps crashing');
    await repo.manager.refresh([]);
    expect(repo.drains).toEqual(['m/1']);
    expect(repo.unloads).toEqual(['m/1']);
    expect(repo.logged('model version failed while serving')).toEqual([{ level: ERROR, model: 'm', version: 1, reason: 'its worker keeps crashing' }]);
  });

  it('leaves an unloaded version as it is when its instance gives up late', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    const served = repo.manager.resolve('m', {});
    await repo.manager.unload('m');
    repo.loads[0]!.context.failed!('too late');
    expect([served.state, served.reason]).toEqual(['END', 'unloaded on request']);
  });

  it('fails the load of a version whose instance gives up while it loads', async () => {
    await repo.version('m', 1, 'gives-up');
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'ERROR' });
  });
});

describe('version folders that cannot be scanned', () => {
  it('puts the version in ERROR with the scan reason, logged once, and serves the last good one', async () => {
    await repo.version('m', 1, '1');
    await mkdir(path.join(outside, '2'));
    await symlink(path.join(outside, '2'), path.join(repo.root, 'm/2'));
    await repo.manager.sync();
    await repo.manager.sync();
    const reason = 'the version folder is a symbolic link to a path outside the repository and repository.allowed_paths';
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE', 2: 'ERROR' });
    expect(repo.reason('m', 2)).toBe(reason);
    expect(repo.logged('model version not scanned')).toEqual([{ level: ERROR, model: 'm', version: 2, reason }]);
  });

  it('keeps a serving version while its folder cannot be scanned, saying why, and forgets why once it can', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    const served = repo.manager.resolve('m', {});
    await rename(path.join(repo.root, 'm/1'), path.join(outside, '1'));
    await symlink(path.join(outside, '1'), path.join(repo.root, 'm/1'));
    await repo.manager.sync();
    expect(repo.manager.resolve('m', {})).toBe(served);
    expect(served.reason).toBe(
      'serving the files loaded before; the folder could not be scanned: the version folder is a symbolic link to a path outside the repository and repository.allowed_paths',
    );
    await rm(path.join(repo.root, 'm/1'));
    await rename(path.join(outside, '1'), path.join(repo.root, 'm/1'));
    await repo.manager.sync();
    expect(repo.manager.resolve('m', {})).toBe(served);
    expect(served.reason).toBeUndefined();
  });
});
