import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchRepository, startFerry, type RunningFerry, jsonOf } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

const body = JSON.stringify(simpleRequest());

describe('hot reload of a live repository', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  beforeAll(async () => {
    repo = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2 });
  });
  afterAll(async () => {
    await ferry.stop();
    await repo.remove();
  });

  it('moves latest-policy traffic to a new version and back when it is removed, failing no request', async () => {
    const seen: string[] = [];
    const failures: string[] = [];
    let running = true;
    const load = async () => {
      while (running) {
        const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body });
        const json = await jsonOf(response);
        if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(json)}`);
        else seen.push(json.model_version);
      }
    };
    const clients = Array.from({ length: 4 }, load);
    const waitFor = async (version: string) => {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (seen.at(-1) === version && seen.slice(-20).every((v) => v === version)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`traffic never settled on version ${version}; last: ${seen.slice(-5).join(',')}`);
    };
    try {
      await waitFor('1');
      await cp(path.join(repo.root, 'simple/1'), path.join(repo.root, 'simple/2'), { recursive: true });
      await waitFor('2');
      const status = ferry.server.dataplane.modelStatus('simple');
      expect(status.versions.find((v) => v.version === '2')?.state).toBe('AVAILABLE');
      await rm(path.join(repo.root, 'simple/2'), { recursive: true });
      await waitFor('1');
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(50);
    const first2 = seen.indexOf('2');
    const last2 = seen.lastIndexOf('2');
    expect(first2).toBeGreaterThan(0);
    expect(seen.slice(last2 + 1).every((v) => v === '1')).toBe(true);
    expect(ferry.server.dataplane.modelStatus('simple').versions.map((v) => v.version)).toEqual(['1']);
  }, 60_000);

  it('keeps serving the old version when a new one fails to load', async () => {
    const broken = path.join(repo.root, 'simple/3');
    await cp(path.join(repo.root, 'simple/1'), broken, { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(broken, 'model.onnx'), 'not an onnx model');
    const deadline = Date.now() + 10_000;
    let state: string | undefined;
    while (Date.now() < deadline) {
      state = ferry.server.dataplane.modelStatus('simple').versions.find((v) => v.version === '3')?.state;
      if (state === 'ERROR') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe('ERROR');
    const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect((await jsonOf(response)).model_version).toBe('1');
    const v3 = await fetch(`${ferry.url}/v2/models/simple/versions/3/infer`, { method: 'POST', body });
    expect(v3.status).toBe(503);
    expect((await jsonOf(v3)).error).toMatch(/ERROR: failed to load model 'simple'/);
  }, 30_000);
});

describe('hot reload of model.yaml', () => {
  it('reloads a serving version when model.yaml changes what it is built from (not only labels)', async () => {
    const repo = await scratchRepository(['simple']);
    const ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2 });
    try {
      const inputNames = async () => (await jsonOf(await fetch(`${ferry.url}/v2/models/simple`))).inputs.map((i: { name: string }) => i.name);
      expect(await inputNames()).toEqual(['INPUT0', 'INPUT1']);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(repo.root, 'simple/model.yaml'), 'inputs:\n  - {name: a, source: INPUT0}\n  - {name: b, source: INPUT1}\n');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await inputNames())[0] !== 'a') await new Promise((r) => setTimeout(r, 50));
      expect(await inputNames()).toEqual(['a', 'b']);
      const row = Array.from({ length: 16 }, (_, i) => i);
      const response = await fetch(`${ferry.url}/v2/models/simple/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'a', datatype: 'INT32', shape: [1, 16], data: row }, { name: 'b', datatype: 'INT32', shape: [1, 16], data: row }] }),
      });
      expect((await jsonOf(response)).outputs[0].data).toEqual(row.map((v) => 2 * v));
    } finally {
      await ferry.stop();
      await repo.remove();
    }
  }, 30_000);
});
