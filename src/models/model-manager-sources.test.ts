import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ferryError } from '../errors/index.ts';
import { repositorySource, type ModelSource, type SourcedModel } from './model-source.ts';
import { FakeRepository } from './test-support/manager-fixture.ts';

/**
 * A source over the repository folder that adds to each model what a registry's source would (selected versions,
 * labels, a default, fetched versions, warm-up requests), as `adjust` says. `get` and `list` may be made to fail.
 */
class AdjustedSource implements ModelSource {
  adjust: (model: SourcedModel) => SourcedModel = (model) => model;
  failGet: ((name: string) => Error | undefined) | undefined;
  failList: Error | undefined;
  /** Models the listing reports as unreadable, with why. */
  readonly unreadable = new Map<string, string>();
  readonly #folder: ModelSource;

  constructor(root: string) {
    this.#folder = repositorySource(root);
  }

  async list(): Promise<Awaited<ReturnType<ModelSource['list']>>> {
    if (this.failList) throw this.failList;
    const scan = await this.#folder.list();
    const models = new Map([...scan.models].filter(([name]) => !this.unreadable.has(name)).map(([name, m]) => [name, this.adjust(m)]));
    return { ...scan, models, unreadable: new Map([...scan.unreadable, ...this.unreadable]) };
  }

  async get(name: string): Promise<SourcedModel | undefined> {
    const error = this.failGet?.(name);
    if (error) throw error;
    // A registry's source has no model by a name it does not know; the folder's throws ENOENT.
    const model = await this.#folder.get(name).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    });
    return model && this.adjust(model);
  }
}

let repo: FakeRepository;
let source: AdjustedSource;

async function open(): Promise<void> {
  repo = await FakeRepository.open({ source: { list: () => source.list(), get: (name) => source.get(name) } });
  source = new AdjustedSource(repo.root);
}
afterEach(async () => {
  vi.useRealTimers();
  await repo.close();
});

/** A source that fetches versions: `materialize` gives the repository folder's version, or fails with `fail`. */
const fetched = (fail?: () => Error) => (model: SourcedModel): SourcedModel => ({
  ...model,
  materialize: async (version) => {
    if (fail) throw fail();
    return model.versions.get(version)!;
  },
});

describe('a source that selects its own versions', () => {
  it('serves what it selects, falls back to any other version it lists, and drops unloaded ones from status', async () => {
    await open();
    for (const v of [1, 2, 3, 4]) await repo.version('m', v, v === 4 ? '4' : `broken: ${v}`);
    await repo.yaml('m', 'labels: {old: 9}\n');
    source.adjust = (m) => ({ ...m, selected: [3, 2], origin: 'models:/m/champion' });
    await repo.manager.sync();
    const model = repo.manager.model('m');
    expect(model.configError).toBeUndefined();
    expect(model.origin).toBe('models:/m/champion');
    expect(model.selected).toEqual([2, 3]);
    expect(repo.states('m')).toEqual({ 2: 'ERROR', 3: 'ERROR', 4: 'AVAILABLE' });
    expect(repo.reason('m', 4)).toBe('last good version: serving in place of version 2, 3, which could not be loaded');
    expect(repo.logged('selected version failed to load; serving the last good version')).toEqual([{ level: 40, model: 'm', version: 4, failed: [2, 3] }]);
    // Version 1 failed as a fallback too: it is not tried again while its files stay the same.
    expect(repo.loads.map((l) => l.spec.version)).toEqual(['2', '3', '4']);

    await repo.version('m', 1, '1');
    source.adjust = (m) => ({ ...m, selected: [1] });
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    expect(repo.logged('selected version failed to load; serving the last good version')).toHaveLength(1);
  });

  it('takes the origin the source names, the repository by default', async () => {
    await open();
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    expect(repo.manager.model('m').origin).toBe('repository');
  });

  it('serves its default version to requests that name none, and its labels beside model.yaml ones, which win', async () => {
    await open();
    for (const v of [1, 2, 3]) await repo.version('m', v, String(v));
    await repo.yaml('m', 'version_policy: all\nlabels: {shared: 3}\n');
    source.adjust = (m) => ({ ...m, labels: { champion: 1, shared: 2, challenger: 3 }, defaultVersion: 1 });
    await repo.manager.sync();
    expect(await repo.answer('m')).toEqual({ version: 1, value: 1 });
    expect(await repo.answer('m', { label: 'challenger' })).toEqual({ version: 3, value: 3 });
    expect(await repo.answer('m', { label: 'shared' })).toEqual({ version: 3, value: 3 });
    expect(repo.manager.model('m').labels).toEqual({ champion: 1, shared: 3, challenger: 3 });
  });

  it('serves the newest version that is not only there for a label when its default does not load', async () => {
    await open();
    await repo.version('m', 1, 'broken: default');
    await repo.version('m', 2, '2');
    await repo.version('m', 3, '3');
    source.adjust = (m) => ({ ...m, selected: [1, 2, 3], labels: { champion: 1, challenger: 3 }, defaultVersion: 1 });
    await repo.manager.sync();
    expect(await repo.answer('m')).toEqual({ version: 2, value: 2 });
    const model = repo.manager.model('m');
    expect(model.defaultServed()?.version).toBe(2);
    expect(model.latestAvailable()?.version).toBe(3);
  });

  it('keeps a label that moved on the version it named while the new one loads', async () => {
    await open();
    for (const v of [1, 2, 3]) await repo.version('m', v, String(v));
    source.adjust = (m) => ({ ...m, selected: [1, 3], labels: { champion: 1, steady: 1, stale: 2 } });
    await repo.manager.sync();
    let fetching!: () => void;
    let release!: () => void;
    const started = new Promise<void>((resolve) => (fetching = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    source.adjust = (m) => ({
      ...m, selected: [1, 2, 3], labels: { champion: 2, steady: 3, stale: 2, fresh: 1, next: 2 },
      materialize: async (v) => {
        if (v === 2) {
          fetching();
          await gate;
        }
        return m.versions.get(v)!;
      },
    });
    const moving = repo.manager.refresh(['m', 'unknown']);
    await started;
    // Until version 2 serves, a label moving to it from a version that serves stays; one moving to a version that
    // serves moves at once; new labels and labels of versions not loaded are as the source says.
    expect(repo.manager.model('m').labels).toEqual({ champion: 1, steady: 3, stale: 2, fresh: 1, next: 2 });
    release();
    await moving;
    expect(await repo.answer('m', { label: 'champion' })).toEqual({ version: 2, value: 2 });
    expect(repo.manager.has('unknown')).toBe(false);
  });

  it('loads nothing when it selects no version', async () => {
    await open();
    await repo.version('m', 1, '1');
    source.adjust = (m) => ({ ...m, selected: [] });
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({});
    expect(repo.loads).toEqual([]);
  });

  it('answers a load of a model it does not have as not found', async () => {
    await open();
    expect(await FakeRepository.failure(() => repo.manager.load('gone'))).toEqual({
      code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND', message: "failed to load model 'gone': the repository has no model of that name",
    });
  });

  it('has nothing to put back when a model it no longer has fails to load', async () => {
    await open();
    await repo.version('m', 1, '1');
    let reads = 0;
    const adjust = source.adjust;
    source.get = async (name) => (++reads > 1 ? undefined : adjust((await repositorySource(repo.root).get(name))!));
    await expect(repo.manager.load('m', { config: { runtime: 'onnx' } })).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED' });
    expect(repo.logs.filter((r) => r.level >= 50).map((r) => r.msg)).toEqual(['model version failed to load']);
  });
});

describe('versions fetched from elsewhere', () => {
  it('runs the warm-up request through the new version before it serves, and fails the load when it fails', async () => {
    await open();
    await repo.version('m', 1, '1');
    await repo.version('n', 1, 'cannot-run');
    await repo.version('q', 1, '1');
    source.adjust = (m) => (m.name === 'q' ? fetched()(m) : { ...fetched()(m), warmup: () => ({ inputs: [] }) });
    await repo.manager.sync();
    expect(repo.enqueued).toEqual(['m/1', 'n/1']);
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    expect(repo.states('n')).toEqual({ 1: 'ERROR' });
    expect(repo.reason('n', 1)).toBe("failed to load model 'n': warm-up request failed: cannot run");
    expect(repo.unloads).toEqual(['n/1']);
    expect(repo.drains).toEqual(['n/1']);
  });

  it('tries a version again after a fetch failure, waiting twice as long each time up to a minute', async () => {
    await open();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    await repo.version('m', 1, '1');
    let failing = true;
    source.adjust = (m) => ({ ...m, materialize: async (v) => {
      if (failing) throw ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri: 's3://b/m', detail: 'timed out' });
      return m.versions.get(v)!;
    } });
    await repo.manager.sync();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const served = repo.manager.model('m').versions.get(1)!;
      expect([served.state, served.attempts]).toEqual(['ERROR', i + 1]);
      waits.push(served.retryAt! - Date.now());
      vi.setSystemTime(served.retryAt! - 1);
      await repo.manager.sync();
      expect(repo.manager.model('m').versions.get(1)).toBe(served);
      vi.setSystemTime(served.retryAt!);
      await repo.manager.sync();
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(repo.reason('m', 1)).toBe("fetching artifact 's3://b/m' failed: timed out");
    failing = false;
    vi.setSystemTime(repo.manager.model('m').versions.get(1)!.retryAt!);
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
  });

  it('does not try again a version whose files are bad, nor after a registry error that is not about reaching it', async () => {
    await open();
    await repo.version('m', 1, 'broken: bad weights');
    await repo.version('n', 1, '1');
    source.adjust = (m) => (m.name === 'n' ? fetched(() => ferryError('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND', { model: 'n' }))(m) : fetched()(m));
    await repo.manager.sync();
    expect(repo.manager.model('m').versions.get(1)!.retryAt).toBeUndefined();
    expect(repo.manager.model('n').versions.get(1)!.retryAt).toBeUndefined();
    const unavailable = ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: 'connection refused' });
    source.adjust = fetched(() => unavailable);
    await repo.version('o', 1, '1');
    await repo.manager.sync();
    expect(repo.manager.model('o').versions.get(1)!.retryAt).toBeGreaterThan(0);
  });

  it('loads a fetched version at once, even from a poll', async () => {
    await open();
    await repo.version('m', 1, '1');
    source.adjust = fetched();
    await repo.manager.sync({ waitForQuiet: true });
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
  });
});

describe('a source that cannot be read', () => {
  it('keeps what a model serves while its folder cannot be read, and says so once per poll in the log', async () => {
    await open();
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    source.unreadable.set('m', 'EIO: i/o error');
    await repo.manager.sync();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    expect(repo.manager.model('m').inRepository).toBe(true);
    expect(repo.logged('model folder unreadable; what it serves is kept')).toEqual([{ level: 40, model: 'm', reason: 'EIO: i/o error' }]);
  });

  it('answers a load with what reading the model failed with, its paths relative to the repository', async () => {
    await open();
    await repo.version('m', 1, '1');
    const io = Object.assign(new Error(`EIO: i/o error, open '${path.join(repo.root, 'm/model.yaml')}'`), { code: 'EIO' });
    source.failGet = () => io;
    expect(await FakeRepository.failure(() => repo.manager.load('m'))).toEqual({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'm': EIO: i/o error" });
    source.failGet = () => Object.assign(new Error(`cannot open ${path.join(repo.root, 'm')}`), {});
    expect(await FakeRepository.failure(() => repo.manager.load('m'))).toEqual({ code: 'FERRY_ERR_MODEL_LOAD_FAILED', message: "failed to load model 'm': cannot open m" });
    source.failGet = () => ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: 'connection refused' });
    expect(await FakeRepository.failure(() => repo.manager.load('m'))).toEqual({ code: 'FERRY_ERR_REGISTRY_UNAVAILABLE', message: 'model registry unavailable: connection refused' });
    source.failGet = () => Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    expect(await FakeRepository.failure(() => repo.manager.load('m'))).toMatchObject({ code: 'FERRY_ERR_LOAD_MODEL_NOT_FOUND' });
  });

  it('logs a model it could not put back after a failed load', async () => {
    await open();
    await repo.version('m', 1, '1');
    let reads = 0;
    source.failGet = () => (++reads > 1 ? new Error('gone') : undefined);
    await expect(repo.manager.load('m', { config: { runtime: 'onnx' } })).rejects.toMatchObject({ code: 'FERRY_ERR_MODEL_LOAD_FAILED' });
    expect(repo.logged('model could not be restored after a failed load')).toMatchObject([{ level: 50, model: 'm', err: { message: 'gone' } }]);
  });

  it('logs a poll that failed', async () => {
    await open();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    source.failList = new Error('listing failed');
    repo.manager.startPolling(1);
    vi.advanceTimersByTime(1000);
    await repo.manager.refresh([]);
    expect(repo.logged('repository poll failed')).toMatchObject([{ level: 50, err: { message: 'listing failed' } }]);
  });
});
