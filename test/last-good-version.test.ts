import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, inferScale, scaleArtifact, startRegistryFerry, waitUntil, type RegistryFerry } from './helpers/registry.ts';
import { jsonOf, postJson, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * When the version a policy selects fails to load, the newest older version that loads serves instead (the last
 * good version): at start, on an explicit load after an unload, and until the selected version is fixed. Status,
 * the log and metrics say so; the failed version stays visible in ERROR with its reason.
 */
describe('last good version', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;

  beforeAll(async () => {
    repo = await scratchRepository(['half_plus_two']);
    // Version 2 is newest and corrupt: not a protobuf ONNX file.
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    await writeFile(path.join(repo.root, 'half_plus_two/2/model.onnx'), 'this is not an onnx model');
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2, auth: { allow_loopback_without_token: true } });
  });
  afterAll(async () => {
    await ferry?.stop();
    await repo?.remove();
  });

  const infer = () => postJson(`${ferry.url}/v2/models/half_plus_two/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] });
  const metricLines = async () => (await (await fetch(`${ferry.url}/metrics`)).text()).split('\n');
  const tfStatus = async () => (await jsonOf(await fetch(`${ferry.url}/v1/models/half_plus_two`))).model_version_status;

  it('at start, serves version 1 when version 2 is corrupt, and status shows both', async () => {
    const answer = await infer();
    expect(answer.status).toBe(200);
    expect(answer.body.model_version).toBe('1');
    expect(answer.body.outputs[0].data).toEqual([3]);
    expect(answer.headers.get('ferry-model-version')).toBe('1');

    const status = ferry.server.dataplane.modelStatus('half_plus_two');
    expect(status.versions.map((v) => [v.version, v.state])).toEqual([['2', 'ERROR'], ['1', 'AVAILABLE']]);
    expect(status.versions[0]!.reason).toMatch(/^failed to load model 'half_plus_two': /);
    expect(status.versions[0]!.reason!.match(/failed to load model/g)).toHaveLength(1);
    expect(status.versions[1]!.reason).toBe('last good version: serving in place of version 2, which could not be loaded');
    // TF Serving's status lists both, the failed one with its error.
    expect((await tfStatus()).map((v: { version: string; state: string }) => [v.version, v.state])).toEqual([['2', 'END'], ['1', 'AVAILABLE']]);
    const index = (await postJson(`${ferry.url}/v2/repository/index`, {})).body;
    expect(index.map((e: { version: string; state: string }) => [e.version, e.state])).toEqual([['1', 'READY'], ['2', 'ERROR']]);
    expect((await fetch(`${ferry.url}/v2/health/ready`)).status).toBe(200);

    const lines = await metricLines();
    expect(lines).toContain('ferry_model_fallback{model="half_plus_two",version="1"} 1');
    expect(lines).toContain('ferry_model_load_failures_total{model="half_plus_two",version="2"} 1');
    expect(lines).toContain('ferry_model_version_state{model="half_plus_two",version="2",state="ERROR"} 1');
    expect(lines).toContain('ferry_model_version_state{model="half_plus_two",version="1",state="AVAILABLE"} 1');
    expect(lines).toContain('ferry_model_version_state{model="half_plus_two",version="1",state="ERROR"} 0');
  });

  it('an explicit unload then load reports the broken version once and brings the last good one back', async () => {
    expect((await postJson(`${ferry.url}/v2/repository/models/half_plus_two/unload`, {})).status).toBe(200);
    expect((await infer()).status).toBe(503);
    const load = await postJson(`${ferry.url}/v2/repository/models/half_plus_two/load`, {});
    expect(load.status).toBe(400);
    expect(load.body.error).toMatch(/^failed to load model 'half_plus_two': version 2: .+; version 1 serves instead \(last good version\)$/);
    expect(load.body.error.match(/failed to load model/g)).toHaveLength(1);
    const answer = await infer();
    expect([answer.status, answer.body.model_version]).toEqual([200, '1']);
  });

  it('an explicit load while the last good version serves keeps it serving', async () => {
    expect((await postJson(`${ferry.url}/v2/repository/models/half_plus_two/load`, {})).status).toBe(400);
    const answer = await infer();
    expect([answer.status, answer.body.model_version]).toEqual([200, '1']);
  });

  it('when the selected version is fixed it serves, and the fallback ends', async () => {
    await rm(path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await infer()).body.model_version !== '2') await new Promise((r) => setTimeout(r, 100));
    expect((await infer()).body.model_version).toBe('2');
    const lines = await metricLines();
    expect(lines.filter((l) => l.startsWith('ferry_model_fallback{'))).toEqual([]);
    expect(ferry.server.dataplane.modelStatus('half_plus_two').versions.find((v) => v.version === '2')).toEqual({ version: '2', state: 'AVAILABLE' });
  }, 30_000);
});

/** Through the registry's source: a reference that moves to a broken version falls back to the one it named before. */
describe('last good version of a model that follows a registry alias', () => {
  let server: RegistryFerry;
  let dataDir: string;
  let ferry: RunningFerry;
  let api: RegistryFerry['api'];
  beforeAll(async () => {
    server = await startRegistryFerry('ferry-fallback-');
    ({ dataDir, ferry, api } = server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps the earlier version serving, and brings it back after an unload and load', async () => {
    expect((await api.register('scale', await scaleArtifact(path.join(dataDir, 'artifacts', 'a'), 1))).status).toBe(201);
    await api.setAlias('scale', 'champion', 1);
    await waitUntil(async () => (await inferScale(ferry.url)).version === '1', 10_000, 'version 1 serving');
    const broken = await scaleArtifact(path.join(dataDir, 'artifacts', 'b'), 2);
    await writeFile(path.join(broken, 'model.onnx'), 'not an onnx model');
    expect((await api.register('scale', broken)).status).toBe(201);
    await api.setAlias('scale', 'champion', 2);
    const versions = async () => (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale').versions;
    await waitUntil(async () => (await versions()).some((v: { state: string }) => v.state === 'ERROR'), 10_000, 'version 2 refused');
    expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4] });

    const unload = await fetch(`${ferry.url}/v2/repository/models/scale/unload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(unload.status).toBe(200);
    expect((await inferScale(ferry.url)).status).toBe(503);
    const load = await fetch(`${ferry.url}/v2/repository/models/scale/load`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(load.status).toBe(400);
    expect((await jsonOf(load)).error).toMatch(/^failed to load model 'scale': version 2: .+; version 1 serves instead \(last good version\)$/);
    expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4] });
    expect((await versions()).map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([[2, 'ERROR'], [1, 'AVAILABLE']]);
  }, 60_000);
});
