import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { DataPlane, type DataPlaneOptions } from './dataplane.ts';
import { FakeGraphs } from './test-support/recorders.ts';
import { ServedModels } from './test-support/served-models.ts';

let models: ServedModels;
beforeEach(async () => {
  models = await ServedModels.create();
});
afterEach(async () => {
  vi.useRealTimers();
  await models.close();
});

const plane = (options: Partial<DataPlaneOptions> = {}) => new DataPlane(models.manager, { serverVersion: '1.2.3', ...options });
const x = (rows: number): Tensor => ({ name: 'x', datatype: 'FP32', shape: [rows, 2], data: new Float32Array(rows * 2) });
const SIGNATURE = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1] }, { name: 'first', datatype: 'FP32', shape: [-1] }],
};

/** `code status: message` of what a call fails with, or what it returned. */
function outcome(work: () => unknown): unknown {
  try {
    return work();
  } catch (error) {
    return isFerryError(error) ? `${error.code} ${error.http}: ${error.message}` : `not a FerryError: ${String(error)}`;
  }
}

/** Versions 2, 10 and 9 (broken) of `m` under version_policy all, with a label. */
async function threeVersions(): Promise<void> {
  await models.version('m', 2);
  await models.version('m', 10);
  await models.version('m', 9, 'broken: bad header');
  await models.file('m', 'model.yaml', 'version_policy: all\nlabels: {stable: 2}\n');
  await models.manager.sync();
}

describe('DataPlane metadata', () => {
  it('says what the server is and which extensions it serves', () => {
    expect(plane().serverMetadata()).toEqual({
      name: 'ferry', version: '1.2.3',
      extensions: ['binary_tensor_data', 'model_repository', 'statistics', 'schedule_policy', 'model_configuration', 'classification'],
    });
  });

  it("describes a model by the version a request would run on, listing its AVAILABLE versions in number order", async () => {
    await threeVersions();
    const dp = plane();
    const newest = dp.modelMetadata('m');
    expect(newest).toEqual({ name: 'm', versions: ['2', '10'], platform: 'fake_v10', ...SIGNATURE });
    expect(Object.keys(newest)).toEqual(['name', 'versions', 'platform', 'inputs', 'outputs']);
    expect(dp.modelMetadata('m', { version: '2' }).platform).toBe('fake_v2');
    expect(dp.modelMetadata('m', { label: 'stable' }).platform).toBe('fake_v2');
    expect(outcome(() => dp.modelMetadata('m', { version: '9' }))).toBe("FERRY_ERR_MODEL_NOT_READY 503: model 'm' version '9' is not ready (ERROR: failed to load: cannot read the model: bad header)");
    expect(outcome(() => dp.modelMetadata('ghost'))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
  });

  it('lists versions in number order whatever order they were loaded in', async () => {
    await models.version('m', 10);
    await models.file('m', 'model.yaml', 'version_policy: all\n');
    await models.manager.sync();
    await models.version('m', 2);
    await models.version('m', 3);
    await models.manager.sync();
    const dp = plane();
    expect(dp.modelMetadata('m').versions).toEqual(['2', '3', '10']);
    expect(dp.repositoryIndex().map((e) => e.version)).toEqual(['2', '3', '10']);
    expect(dp.modelStatus('m').versions.map((v) => v.version)).toEqual(['10', '3', '2']);
  });

  it("shows the model's example request and its max_request_rows when it has them", async () => {
    const example = { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: [1, 2] }] };
    models.behaviours.set('m', { signature: { inputExample: example } });
    await models.version('m', 1);
    await models.file('m', 'model.yaml', 'max_request_rows: 16\n');
    await models.manager.sync();
    expect(plane().modelMetadata('m')).toEqual({ name: 'm', versions: ['1'], platform: 'fake_v1', ...SIGNATURE, input_example: example, maxRequestRows: 16 });
  });

  it("gives a graph's own metadata, and no served version, numeric conversion or readiness of a model for it", async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: {}, down: { unavailable: 'node m is not ready' } }));
    expect(dp.modelMetadata('g')).toEqual({ name: 'g', versions: ['1'], platform: 'graph', inputs: [], outputs: [] });
    expect(dp.servedVersion('g')).toBeUndefined();
    expect(dp.numericInputs('g')).toBeUndefined();
    expect(dp.modelReady('g')).toBe(true);
    expect(dp.modelReady('down')).toBe(false);
  });

  it('says whether a model converts numeric inputs, and which version a request would run on', async () => {
    await threeVersions();
    models.behaviours.set('c', { signature: { numericInputs: 'convert' } });
    await models.version('c', 1);
    await models.manager.sync();
    const dp = plane();
    expect(dp.numericInputs('c')).toBe('convert');
    expect(dp.numericInputs('m')).toBeUndefined();
    expect(dp.servedVersion('m')).toBe('10');
    expect(dp.servedVersion('m', { label: 'stable' })).toBe('2');
    expect(dp.servedVersion('m', { version: '2' })).toBe('2');
    expect(outcome(() => dp.servedVersion('m', { version: '3' }))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '3'");
  });

  it("names a model's class labels file when it has one", async () => {
    await models.version('m', 1);
    await models.version('plain', 1);
    await models.file('m', 'labels.txt', 'a\nb\n');
    await models.manager.sync();
    const dp = plane();
    expect(dp.classLabelFile('m')).toBe('labels.txt');
    expect(dp.classLabelFile('plain')).toBeUndefined();
    expect(outcome(() => dp.classLabelFile('ghost'))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(outcome(() => dp.classLabelFile('../m'))).toBe(
      "FERRY_ERR_MODEL_NAME_INVALID 400: invalid model name '../m': use 1-128 letters, digits, _ - . starting with a letter or digit",
    );
  });
});

describe('DataPlane.modelReady and modelStatus', () => {
  it('is ready when the version named (or any) is AVAILABLE, not when it failed, and 404 for what does not exist', async () => {
    await threeVersions();
    const dp = plane();
    expect(dp.modelReady('m')).toBe(true);
    expect(dp.modelReady('m', { version: '2' })).toBe(true);
    expect(dp.modelReady('m', { version: '9' })).toBe(false);
    expect(outcome(() => dp.modelReady('m', { version: '4' }))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '4'");
    expect(outcome(() => dp.modelReady('ghost'))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
  });

  it('lists versions newest first with their states and reasons, and labels by name', async () => {
    await threeVersions();
    const status = plane().modelStatus('m');
    expect(status).toEqual({
      name: 'm',
      versions: [
        { version: '10', state: 'AVAILABLE' },
        { version: '9', state: 'ERROR', reason: 'failed to load: cannot read the model: bad header' },
        { version: '2', state: 'AVAILABLE' },
      ],
      labels: { stable: '2' },
    });
    expect(status.versions.map((v) => Object.keys(v))).toEqual([['version', 'state'], ['version', 'state', 'reason'], ['version', 'state']]);
    expect(Object.keys(status)).toEqual(['name', 'versions', 'labels']);
  });

  it("says why a model's model.yaml was rejected", async () => {
    await models.version('m', 1);
    await models.manager.sync();
    await models.file('m', 'model.yaml', 'labels: {stable: 5}\n');
    await models.manager.sync();
    expect(plane().modelStatus('m')).toEqual({
      name: 'm', versions: [{ version: '1', state: 'AVAILABLE' }], labels: {},
      config_error: "failed to load model 'm': model.yaml labels.stable: version 5 does not exist (versions: 1)",
    });
    expect(outcome(() => plane().modelStatus('bad name'))).toBe(
      "FERRY_ERR_MODEL_NAME_INVALID 400: invalid model name 'bad name': use 1-128 letters, digits, _ - . starting with a letter or digit",
    );
  });

  it('shows a graph as one version, AVAILABLE or LOADING, with why it is not or serves an older definition', () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ ok: {}, stale: { stale: 'the new definition failed' }, down: { unavailable: 'node m is not ready', stale: 'ignored' } }));
    expect(dp.modelStatus('ok')).toEqual({ name: 'ok', versions: [{ version: '1', state: 'AVAILABLE' }], labels: {} });
    expect(Object.keys(dp.modelStatus('ok').versions[0]!)).toEqual(['version', 'state']);
    expect(dp.modelStatus('stale')).toEqual({ name: 'stale', versions: [{ version: '1', state: 'AVAILABLE', reason: 'the new definition failed' }], labels: {} });
    expect(dp.modelStatus('down')).toEqual({ name: 'down', versions: [{ version: '1', state: 'LOADING', reason: 'node m is not ready' }], labels: {} });
  });
});

describe('DataPlane.repositoryIndex', () => {
  it('lists graphs, model versions in number order, models without versions and skipped folders, by name', async () => {
    await threeVersions();
    await models.folder('empty');
    await models.folder('bad name');
    await models.version('gone', 1);
    await models.manager.sync();
    await models.manager.unload('gone');
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: { stale: 'the new definition failed' }, h: {}, down: { unavailable: 'node m is not ready' } }));
    expect(dp.repositoryIndex()).toEqual([
      { name: 'bad name', state: 'UNAVAILABLE', reason: 'not a valid model name' },
      { name: 'down', version: '1', state: 'UNAVAILABLE', reason: 'node m is not ready' },
      { name: 'empty', state: 'UNAVAILABLE', reason: 'no version loaded' },
      { name: 'g', version: '1', state: 'READY', reason: 'the new definition failed' },
      { name: 'gone', version: '1', state: 'END', reason: 'unloaded on request' },
      { name: 'h', version: '1', state: 'READY' },
      { name: 'm', version: '2', state: 'READY' },
      { name: 'm', version: '9', state: 'ERROR', reason: 'failed to load: cannot read the model: bad header' },
      { name: 'm', version: '10', state: 'READY' },
    ]);
    expect(dp.repositoryIndex().map((e) => Object.keys(e).join())).toEqual([
      'name,state,reason', 'name,version,state,reason', 'name,state,reason', 'name,version,state,reason', 'name,version,state,reason',
      'name,version,state', 'name,version,state', 'name,version,state,reason', 'name,version,state',
    ]);
    expect(dp.repositoryIndex(true)).toEqual([
      { name: 'g', version: '1', state: 'READY', reason: 'the new definition failed' },
      { name: 'h', version: '1', state: 'READY' },
      { name: 'm', version: '2', state: 'READY' },
      { name: 'm', version: '10', state: 'READY' },
    ]);
  });

  it('says a model without versions was unloaded, or why its model.yaml was rejected', async () => {
    await models.folder('e');
    await models.folder('f');
    await models.file('f', 'model.yaml', 'nonsense: [\n');
    await models.manager.sync();
    await models.manager.unload('e');
    await models.manager.unload('f');
    const index = plane().repositoryIndex();
    expect(index[0]).toEqual({ name: 'e', state: 'UNAVAILABLE', reason: 'unloaded' });
    expect(index[1]!.name).toBe('f');
    expect(index[1]!.reason).toMatch(/^failed to load model 'f': model\.yaml/);
  });

  it('says beside each version when the model.yaml it loaded with has since been rejected', async () => {
    await models.version('m', 1);
    await models.manager.sync();
    await models.file('m', 'model.yaml', 'labels: {stable: 5}\n');
    await models.manager.sync();
    expect(plane().repositoryIndex()).toEqual([{
      name: 'm', version: '1', state: 'READY',
      reason: "serving with the configuration it loaded with; failed to load model 'm': model.yaml labels.stable: version 5 does not exist (versions: 1)",
    }]);
  });
});

describe('DataPlane.statistics', () => {
  it("reports each version's counts in Triton's shape, batch sizes in order", async () => {
    await models.version('m', 1);
    await models.version('n', 1);
    await models.manager.sync();
    const dp = plane();
    await dp.infer('m', { inputs: [x(3)] }, { protocol: 'v2-rest' });
    await dp.infer('m', { inputs: [x(1)] }, { protocol: 'v2-rest' });
    const [m, n] = dp.statistics();
    expect(m).toEqual({
      name: 'm', version: '1', last_inference: expect.any(Number), inference_count: 4, execution_count: 2,
      inference_stats: {
        success: { count: 2, ns: expect.any(Number) }, fail: { count: 0, ns: 0 }, queue: { count: 2, ns: 500_000 }, compute_infer: { count: 4, ns: 4_000_000 },
      },
      batch_stats: [{ batch_size: 1, compute_infer: { count: 1, ns: 2_000_000 } }, { batch_size: 3, compute_infer: { count: 1, ns: 2_000_000 } }],
    });
    expect(Object.keys(m!.inference_stats)).toEqual(['success', 'fail', 'queue', 'compute_infer']);
    expect(n).toMatchObject({ name: 'n', version: '1', inference_count: 0, execution_count: 0, batch_stats: [] });
    expect(dp.statistics('n').map((s) => s.name)).toEqual(['n']);
  });

  it('gives copies of the counters, not the live ones', async () => {
    await models.version('m', 1);
    await models.manager.sync();
    const dp = plane();
    const before = dp.statistics('m')[0]!;
    await dp.infer('m', { inputs: [x(1)] }, { protocol: 'v2-rest' });
    expect(before.inference_stats.success.count).toBe(0);
    expect(before.inference_stats.queue.count).toBe(0);
    expect(before.inference_stats.compute_infer.count).toBe(0);
    expect(dp.statistics('m')[0]!.inference_stats.success.count).toBe(1);
  });

  it('picks one version by number, and answers 404 for a version the model does not have', async () => {
    await threeVersions();
    const dp = plane();
    expect(dp.statistics('m').map((s) => s.version).sort()).toEqual(['10', '2', '9']);
    expect(dp.statistics('m', '10').map((s) => s.version)).toEqual(['10']);
    expect(outcome(() => dp.statistics('m', '3'))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '3'");
    expect(outcome(() => dp.statistics('ghost'))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(dp.statistics(undefined, '3')).toEqual([]);
    await models.folder('empty');
    await models.manager.sync();
    expect(dp.statistics('empty')).toEqual([]);
    expect(dp.statistics(undefined, '2').map((s) => `${s.name}/${s.version}`)).toEqual(['m/2']);
  });
});

describe('DataPlane readiness', () => {
  it('is live always, started once the first scan is over, and not ready while draining', async () => {
    await models.version('m', 1);
    await models.manager.sync();
    const dp = plane();
    expect(dp.live()).toBe(true);
    expect(dp.started()).toBe(false);
    expect(await dp.readiness()).toMatchObject({ ready: false, reasons: ['the first repository scan has not finished'] });
    dp.setReady(true);
    expect(dp.started()).toBe(true);
    expect(await dp.ready()).toBe(true);
    dp.beginShutdown();
    expect(await dp.ready()).toBe(false);
    expect((await dp.readiness()).reasons).toEqual(['the server is shutting down']);
    expect(dp.live()).toBe(true);
  });

  it('says why each model is not ready: its newest version failed, it has none, it was unloaded or removed', async () => {
    await models.version('ok', 1);
    await models.version('failed', 1, 'broken: bad magic');
    await models.version('failed', 2, 'broken: bad header');
    await models.file('failed', 'model.yaml', 'version_policy: all\n');
    await models.folder('empty');
    await models.version('unloaded', 1);
    await models.version('removed', 1);
    await models.manager.sync();
    await models.manager.unload('unloaded');
    await rm(path.join(models.root, 'removed'), { recursive: true });
    await models.manager.sync();
    const dp = plane();
    dp.setReady(true);
    const strict = await dp.readiness();
    expect(strict.ready).toBe(false);
    expect(strict.notReady).toEqual([
      { name: 'empty', ready: false, required: true, reason: 'no version loaded' },
      { name: 'failed', ready: false, required: true, reason: 'version 2 is ERROR: failed to load: cannot read the model: bad header' },
    ]);
    const named = await plane({ readiness: { require: ['unloaded', 'removed', 'ok'], minReady: 0 } });
    named.setReady(true);
    expect((await named.readiness()).reasons).toEqual([
      "model 'removed' is not ready: removed from the repository",
      "model 'unloaded' is not ready: unloaded on request",
    ]);
  });

  it('needs only the models the policy requires, and counts graphs as models', async () => {
    await models.version('ok', 1);
    await models.version('failed', 1, 'broken: x');
    await models.manager.sync();
    const dp = plane({ readiness: { require: ['ok'], minReady: 1 } });
    dp.setReady(true);
    expect(await dp.ready()).toBe(true);
    dp.setGraphs(new FakeGraphs({ g: { unavailable: 'node failed is not ready' } }));
    const graphed = plane();
    graphed.setReady(true);
    graphed.setGraphs(new FakeGraphs({ g: { unavailable: 'node failed is not ready' }, h: {} }));
    const report = await graphed.readiness();
    expect(report.readyModels).toBe(2);
    expect(report.reasons).toContain("model 'g' is not ready: node failed is not ready");
  });

  it("runs a model's own readiness check and gives its reason", async () => {
    models.behaviours.set('code', { ready: () => false });
    await models.version('code', 1);
    await models.manager.sync();
    const dp = plane();
    dp.setReady(true);
    expect((await dp.readiness()).reasons).toEqual(["model 'code' is not ready: its readiness check failed: it answered not ready"]);
  });

  it('waits 500 ms for a check by default, and as long as check_timeout_ms says', async () => {
    models.behaviours.set('slow', { ready: () => new Promise<boolean>(() => {}) });
    await models.version('slow', 1);
    await models.manager.sync();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (const [options, wait] of [[{}, 500], [{ checkTimeoutMs: 40 }, 40]] as const) {
      const dp = plane(options);
      dp.setReady(true);
      let report: Awaited<ReturnType<DataPlane['readiness']>> | undefined;
      void dp.readiness().then((r) => {
        report = r;
      });
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(report).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(report?.reasons).toEqual([`model 'slow' is not ready: its readiness check failed: no answer within ${wait} ms (readiness.check_timeout_ms)`]);
    }
  });

  it('keeps degraded components with why until they are healthy again', () => {
    const dp = plane();
    expect(dp.degraded()).toEqual({});
    dp.setDegraded('registry', { error: 'connection refused' });
    dp.setDegraded('cache', { error: 'timeout' });
    dp.setDegraded('registry', { error: 'still refused' });
    expect(dp.degraded()).toEqual({ registry: { error: 'still refused' }, cache: { error: 'timeout' } });
    dp.setDegraded('registry', undefined);
    expect(dp.degraded()).toEqual({ cache: { error: 'timeout' } });
    expect(Object.keys(dp.degraded())).toEqual(['cache']);
  });
});

describe('DataPlane load and unload', () => {
  it('loads a model with a configuration given with the load, and unloads it', async () => {
    await models.version('m', 1);
    await models.version('m', 2);
    const dp = plane();
    await dp.loadModel('m', { config: { version_policy: { specific: [1] } } });
    expect(dp.servedVersion('m')).toBe('1');
    await dp.unloadModel('m');
    expect(dp.modelStatus('m').versions).toEqual([{ version: '1', state: 'END', reason: 'unloaded on request' }]);
    await dp.loadModel('m');
    expect(dp.servedVersion('m')).toBe('2');
  });

  it('refuses a name that cannot be a model before asking the repository', async () => {
    const dp = plane();
    const invalid = "FERRY_ERR_MODEL_NAME_INVALID 400: invalid model name '.hidden': use 1-128 letters, digits, _ - . starting with a letter or digit";
    expect(await dp.loadModel('.hidden').then(() => 'loaded', (e: unknown) => outcome(() => { throw e; }))).toBe(invalid);
    expect(await dp.unloadModel('.hidden').then(() => 'unloaded', (e: unknown) => outcome(() => { throw e; }))).toBe(invalid);
  });
});
