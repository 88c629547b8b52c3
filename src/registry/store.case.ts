/**
 * The shared conformance suite every RegistryStore runs (STYLE.md 4). Call it from the implementation's own test
 * file: `runStoreConformance({ name, open })`. Each test opens a fresh, empty store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { Actor } from './entities.ts';
import type { RegistryStore } from './store.ts';

export interface StoreConformanceOptions {
  readonly name: string;
  /** A fresh, empty, migrated store. */
  open(): Promise<RegistryStore>;
  /** A second store over the same data (another process would see this), when the backend is shared. */
  openTwin?(store: RegistryStore): Promise<RegistryStore>;
  /** Runs raw SQL against the store's database (to prove the audit log is append-only below the API). */
  rawQuery?(store: RegistryStore, sql: string): Promise<unknown>;
}

const alice: Actor = { name: 'alice' };
const bob: Actor = { name: 'bob' };
const DIGEST = `sha256:${'ab'.repeat(32)}`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isFerryError(error) ? error.code : `not a FerryError: ${(error as Error).message}`;
  }
  return 'no error';
}

export function runStoreConformance(options: StoreConformanceOptions): void {
  describe(`RegistryStore conformance: ${options.name}`, () => {
    const opened: RegistryStore[] = [];
    const open = async () => {
      const store = await options.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('creates, reads, lists and refuses duplicate models', async () => {
      const store = await open();
      const created = await store.createModel({ name: 'fraud', description: 'card fraud', tags: { team: 'risk' } }, alice);
      expect(created).toMatchObject({ name: 'fraud', description: 'card fraud', tags: { team: 'risk' }, aliases: {} });
      expect(created.createdAt).toBeGreaterThan(Date.now() - 60_000);
      expect(created.updatedAt).toBe(created.createdAt);
      expect(await store.getModel('fraud')).toEqual(created);
      expect(await codeOf(store.createModel({ name: 'fraud' }, alice))).toBe('FERRY_ERR_REGISTRY_MODEL_EXISTS');
      expect(await codeOf(store.getModel('nope'))).toBe('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND');
      expect(await codeOf(store.createModel({ name: '../etc' }, alice))).toBe('FERRY_ERR_REGISTRY_INVALID');
      await store.createModel({ name: 'churn' }, alice);
      await store.createModel({ name: 'Churn-EU' }, alice);
      expect((await store.listModels()).map((m) => m.name)).toEqual(['Churn-EU', 'churn', 'fraud']);
      expect((await store.listModels({ nameLike: 'ch%' })).map((m) => m.name)).toEqual(['churn']);
      expect((await store.listModels({ nameILike: 'ch%' })).map((m) => m.name)).toEqual(['Churn-EU', 'churn']);
      expect((await store.listModels({ nameLike: 'fr_ud' })).map((m) => m.name)).toEqual(['fraud']);
      expect((await store.listModels({ tags: { team: 'risk' } })).map((m) => m.name)).toEqual(['fraud']);
      expect((await store.listModels({ limit: 2, offset: 1 })).map((m) => m.name)).toEqual(['churn', 'fraud']);
      expect(await store.listModels({ offset: 3 })).toEqual([]);
    });

    it('numbers versions 1, 2, ... per model and never reuses a number after a delete', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      await store.createModel({ name: 'other' }, alice);
      const numbers: number[] = [];
      for (let i = 0; i < 10; i++) numbers.push((await store.createVersion('m', { source: `file:///a/${i}`, digest: DIGEST }, alice)).version);
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await store.createVersion('other', { source: 'file:///o' }, alice)).version).toBe(1);
      await store.deleteVersion('m', 10, alice);
      expect((await store.createVersion('m', { source: 'file:///a/11', digest: DIGEST }, alice)).version).toBe(11);
      // Ten comes after nine, numerically (not as text).
      expect((await store.listVersions({ model: 'm' })).map((v) => v.version).slice(0, 3)).toEqual([11, 9, 8]);
      expect(await codeOf(store.createVersion('missing', { source: 'file:///x' }, alice))).toBe('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND');
      expect(await codeOf(store.getVersion('m', 10))).toBe('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND');
      expect(await codeOf(store.getVersion('missing', 1))).toBe('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND');
    });

    it('hands out each version number once under concurrent writers', async () => {
      const store = await open();
      const twin = options.openTwin ? await options.openTwin(store) : store;
      if (twin !== store) opened.push(twin);
      await store.createModel({ name: 'm' }, alice);
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? twin : store).createVersion('m', { source: `file:///v${i}` }, alice)));
      expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('keeps every field of a version as registered', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      const files = [{ path: 'model.onnx', size: 123, sha256: 'cd'.repeat(32) }, { path: 'sub/dir/x.json', size: 0, sha256: 'ef'.repeat(32) }];
      const signature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] };
      const example = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4.5] }] };
      const v = await store.createVersion('m', {
        source: 's3://bucket/m/1/', digest: DIGEST, files, runtime: 'onnx', signature, inputExample: example,
        metrics: { auc: 0.93, loss: -1.5e-7 }, tags: { 'git.sha': 'abc', 'héllo': 'wörld' }, description: 'first', runId: 'run-1',
      }, bob);
      expect(v).toMatchObject({
        model: 'm', version: 1, source: 's3://bucket/m/1/', digest: DIGEST, files, runtime: 'onnx', signature, inputExample: example,
        metrics: { auc: 0.93, loss: -1.5e-7 }, tags: { 'git.sha': 'abc', 'héllo': 'wörld' }, description: 'first', runId: 'run-1',
        stage: 'None', status: 'READY', statusMessage: '', createdBy: 'bob', aliases: [],
      });
      expect(await store.getVersion('m', 1)).toEqual(v);
      const pending = await store.createVersion('m', { source: 'file:///p' }, bob);
      expect(pending.status).toBe('PENDING_REGISTRATION');
      expect(pending.digest).toBe('');
      const ready = await store.updateVersion('m', 2, { digest: DIGEST, status: 'READY', files }, alice);
      expect(ready).toMatchObject({ digest: DIGEST, status: 'READY', files });
      expect(await codeOf(store.createVersion('m', { source: 'x', digest: 'md5:abc' }, bob))).toBe('FERRY_ERR_REGISTRY_INVALID');
      expect(await codeOf(store.createVersion('m', { source: '' }, bob))).toBe('FERRY_ERR_REGISTRY_INVALID');
      expect(await codeOf(store.createVersion('m', { source: 'x', metrics: { bad: Number.NaN } }, bob))).toBe('FERRY_ERR_REGISTRY_INVALID');
    });

    it('moves aliases atomically, one version each, and drops them with their version', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      for (let i = 0; i < 3; i++) await store.createVersion('m', { source: `file:///${i}`, digest: DIGEST }, alice);
      await store.setAlias('m', 'champion', 1, alice);
      await store.setAlias('m', 'challenger', 2, alice);
      expect((await store.getVersionByAlias('m', 'champion')).version).toBe(1);
      expect((await store.getModel('m')).aliases).toEqual({ challenger: 2, champion: 1 });
      const moved = await store.setAlias('m', 'champion', 2, bob);
      expect(moved.aliases).toEqual(['challenger', 'champion']);
      expect((await store.getVersion('m', 1)).aliases).toEqual([]);
      expect((await store.getVersionByAlias('m', 'champion')).version).toBe(2);
      expect(await codeOf(store.setAlias('m', 'champion', 9, bob))).toBe('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND');
      expect((await store.getVersionByAlias('m', 'champion')).version).toBe(2); // a failed move changes nothing
      for (const bad of ['latest', 'v3', '12', 'a b', '', 'x'.repeat(256)]) expect(await codeOf(store.setAlias('m', bad, 1, bob))).toBe('FERRY_ERR_REGISTRY_INVALID');
      expect(await codeOf(store.getVersionByAlias('m', 'nope'))).toBe('FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND');
      await store.deleteAlias('m', 'challenger', bob);
      expect(await codeOf(store.deleteAlias('m', 'challenger', bob))).toBe('FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND');
      await store.deleteVersion('m', 2, bob);
      expect(await codeOf(store.getVersionByAlias('m', 'champion'))).toBe('FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND');
      expect((await store.getModel('m')).aliases).toEqual({});
    });

    it('moves stages, archiving the previous holder when asked', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      for (let i = 0; i < 3; i++) await store.createVersion('m', { source: `file:///${i}`, digest: DIGEST }, alice);
      expect((await store.transitionStage('m', 1, 'Production', false, alice)).stage).toBe('Production');
      await store.transitionStage('m', 2, 'Production', false, alice);
      expect((await store.listVersions({ model: 'm', stages: ['Production'] })).map((v) => v.version)).toEqual([2, 1]);
      await store.transitionStage('m', 3, 'Production', true, alice);
      expect((await store.listVersions({ model: 'm' })).map((v) => [v.version, v.stage])).toEqual([[3, 'Production'], [2, 'Archived'], [1, 'Archived']]);
      expect((await store.transitionStage('m', 1, 'staging' as never, false, alice)).stage).toBe('Staging');
      expect(await codeOf(store.transitionStage('m', 1, 'Prod' as never, false, alice))).toBe('FERRY_ERR_REGISTRY_INVALID');
    });

    it('filters versions by model, stage, run and tags', async () => {
      const store = await open();
      await store.createModel({ name: 'a' }, alice);
      await store.createModel({ name: 'b' }, alice);
      await store.createVersion('a', { source: 'file:///a1', runId: 'r1', tags: { k: 'v' } }, alice);
      await store.createVersion('a', { source: 'file:///a2', runId: 'r2' }, alice);
      await store.createVersion('b', { source: 'file:///b1', runId: 'r1' }, alice);
      expect((await store.listVersions()).map((v) => `${v.model}/${v.version}`)).toEqual(['a/2', 'a/1', 'b/1']);
      expect((await store.listVersions({ runId: 'r1' })).map((v) => `${v.model}/${v.version}`)).toEqual(['a/1', 'b/1']);
      expect((await store.listVersions({ models: ['b'] })).map((v) => v.source)).toEqual(['file:///b1']);
      expect((await store.listVersions({ source: 'file:///a2' })).map((v) => v.version)).toEqual([2]);
      expect((await store.listVersions({ tags: { k: 'v' } })).map((v) => v.source)).toEqual(['file:///a1']);
      expect(await store.listVersions({ models: [] })).toEqual([]);
    });

    it('sets and deletes tags, updates descriptions, renames with versions and aliases', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      await store.createVersion('m', { source: 'file:///1', digest: DIGEST }, alice);
      await store.setAlias('m', 'champion', 1, alice);
      expect((await store.setModelTag('m', 'owner', 'risk', alice)).tags).toEqual({ owner: 'risk' });
      expect((await store.deleteModelTag('m', 'owner', alice)).tags).toEqual({});
      expect((await store.setVersionTag('m', 1, 'validated', 'yes', alice)).tags).toEqual({ validated: 'yes' });
      expect((await store.deleteVersionTag('m', 1, 'validated', alice)).tags).toEqual({});
      expect((await store.updateModel('m', { description: 'new' }, alice)).description).toBe('new');
      expect((await store.updateVersion('m', 1, { description: 'v1' }, alice)).description).toBe('v1');
      const renamed = await store.renameModel('m', 'm2', alice);
      expect(renamed.aliases).toEqual({ champion: 1 });
      expect((await store.getVersionByAlias('m2', 'champion')).model).toBe('m2');
      expect(await codeOf(store.getModel('m'))).toBe('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND');
      await store.createModel({ name: 'taken' }, alice);
      expect(await codeOf(store.renameModel('m2', 'taken', alice))).toBe('FERRY_ERR_REGISTRY_MODEL_EXISTS');
      await store.deleteModel('m2', alice);
      expect(await store.listVersions({ model: 'm2' })).toEqual([]);
      expect(await codeOf(store.deleteModel('m2', alice))).toBe('FERRY_ERR_REGISTRY_MODEL_NOT_FOUND');
    });

    it('records every change in the audit log with its actor, before and after, and nothing for a failed change', async () => {
      const store = await open();
      expect(await store.lastChangeId()).toBe(0);
      await store.createModel({ name: 'm' }, alice);
      await store.createVersion('m', { source: 'file:///1', digest: DIGEST }, alice);
      await store.createVersion('m', { source: 'file:///2', digest: DIGEST }, alice);
      await store.setAlias('m', 'champion', 1, bob);
      await store.setAlias('m', 'champion', 2, bob);
      await store.transitionStage('m', 2, 'Production', false, alice);
      await codeOf(store.setAlias('m', 'champion', 7, bob));
      await codeOf(store.createModel({ name: 'm' }, bob));
      await store.deleteAlias('m', 'champion', alice);
      const log = await store.audit({ model: 'm' });
      expect(log.map((e) => [e.action, e.actor, e.version, e.alias])).toEqual([
        ['alias.delete', 'alice', 2, 'champion'],
        ['version.stage', 'alice', 2, null],
        ['alias.set', 'bob', 2, 'champion'],
        ['alias.set', 'bob', 1, 'champion'],
        ['version.create', 'alice', 2, null],
        ['version.create', 'alice', 1, null],
        ['model.create', 'alice', null, null],
      ]);
      expect(log[2]).toMatchObject({ before: { version: 1 }, after: { version: 2 } });
      expect(log[3]).toMatchObject({ before: null, after: { version: 1 } });
      expect(log[1]!.before).toMatchObject({ stage: 'None' });
      expect(log[1]!.after).toMatchObject({ stage: 'Production' });
      expect(log[6]!.after).toMatchObject({ name: 'm' });
      const ids = log.map((e) => e.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      expect(log.every((e) => e.at >= log.at(-1)!.at && e.at <= Date.now())).toBe(true);
      expect((await store.audit({ model: 'm', alias: 'champion', ascending: true })).map((e) => e.action)).toEqual(['alias.set', 'alias.set', 'alias.delete']);
      expect((await store.audit({ afterId: ids[2], ascending: true })).map((e) => e.id)).toEqual([ids[1], ids[0]]);
      expect((await store.audit({ beforeId: ids[4], limit: 1 })).map((e) => e.id)).toEqual([ids[5]]);
      expect(await store.lastChangeId()).toBe(7);
      // A deleted model keeps its history.
      await store.deleteModel('m', alice);
      expect((await store.audit({ model: 'm' })).map((e) => e.action).slice(0, 2)).toEqual(['model.delete', 'alias.delete']);
    });

    it.runIf(options.rawQuery !== undefined)('refuses to update or delete audit entries, even with SQL', async () => {
      const store = await open();
      await store.createModel({ name: 'm' }, alice);
      await expect(options.rawQuery!(store, "UPDATE audit_log SET actor = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(options.rawQuery!(store, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      expect((await store.audit())[0]!.actor).toBe('alice');
    });

    it('counts changes in commit order for pollers', async () => {
      const store = await open();
      const before = await store.lastChangeId();
      await store.createModel({ name: 'm' }, alice);
      const one = await store.lastChangeId();
      await codeOf(store.createModel({ name: 'm' }, alice));
      expect(await store.lastChangeId()).toBe(one); // a refused change is no change
      await store.createVersion('m', { source: 'file:///1' }, alice);
      expect(one).toBe(before + 1);
      expect(await store.lastChangeId()).toBe(one + 1);
    });

    it.runIf(options.openTwin !== undefined)('tells another process of a change', async () => {
      const store = await open();
      const twin = await options.openTwin!(store);
      opened.push(twin);
      let told = 0;
      const errors: Error[] = [];
      const unsubscribe = await twin.subscribe(() => told++, (e) => errors.push(e));
      const polled = await twin.lastChangeId();
      await store.createModel({ name: 'm' }, alice);
      expect(await twin.lastChangeId()).toBe(polled + 1);
      if (unsubscribe) {
        const deadline = Date.now() + 2000;
        while (told === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(told).toBe(1);
        await unsubscribe();
      }
      expect(errors).toEqual([]);
    });

    it('adds graph arm statistics from every writer and keeps traffic weights, auditing each traffic change', async () => {
      const store = await open();
      const twin = options.openTwin ? await options.openTwin(store) : store;
      if (twin !== store) opened.push(twin);
      expect(await store.graphArmStats('g')).toEqual([]);
      await store.addGraphArmStats('g', [{ router: 'r', arm: 'a', pulls: 3, reward: 1 }, { router: 'r', arm: 'b', pulls: 2, reward: 1.5 }]);
      await Promise.all([
        twin.addGraphArmStats('g', [{ router: 'r', arm: 'a', pulls: 1, reward: 0.25 }]),
        store.addGraphArmStats('g', [{ router: 'r', arm: 'a', pulls: 10, reward: 5 }]),
      ]);
      await store.addGraphArmStats('other', [{ router: 'r', arm: 'a', pulls: 7, reward: 7 }]);
      expect(await twin.graphArmStats('g')).toEqual([{ router: 'r', arm: 'a', pulls: 14, reward: 6.25 }, { router: 'r', arm: 'b', pulls: 2, reward: 1.5 }]);
      const before = await store.lastChangeId();
      await store.addGraphArmStats('g', [{ router: 'r', arm: 'b', pulls: 1, reward: 1 }]);
      expect(await store.lastChangeId()).toBe(before); // learning is traffic, not a change of what serves

      expect(await store.graphTraffic('g')).toEqual({});
      await store.setGraphTraffic('g', 'r', { a: 0.9, b: 0.1 }, 'set_weights', alice);
      await twin.setGraphTraffic('g', 'r', { a: 1, b: 0 }, 'rollback', bob);
      expect(await store.graphTraffic('g')).toEqual({ r: { a: 1, b: 0 } });
      const log = await store.audit({ model: 'g', ascending: true });
      expect(log.map((e) => [e.action, e.actor, e.alias, e.before, e.after])).toEqual([
        ['graph.set_weights', 'alice', 'r', null, { a: 0.9, b: 0.1 }],
        ['graph.rollback', 'bob', 'r', { a: 0.9, b: 0.1 }, { a: 1, b: 0 }],
      ]);
    });
  });
}
