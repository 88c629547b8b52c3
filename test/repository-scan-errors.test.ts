/**
 * A repository scan that fails for one version folder (too many files, a folder deleted while it is read) affects
 * that version only: a model that serves keeps serving, and the version's status says what went wrong.
 */
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serveSimple(): Promise<{ ferry: RunningFerry; root: string }> {
  const repo = await scratchRepository(['simple']);
  cleanups.push(() => repo.remove());
  const ferry = await startFerry({ model_repository: repo.root, grpc: { enabled: false } });
  cleanups.push(() => ferry.stop());
  return { ferry, root: repo.root };
}

/** A copy of simple/1 as `version`, with `extra` more empty files beside model.onnx. */
async function versionWithFiles(root: string, version: string, extra: number): Promise<void> {
  const folder = path.join(root, 'simple', version);
  await cp(path.join(root, 'simple', '1'), folder, { recursive: true });
  await mkdir(path.join(folder, 'extra'), { recursive: true });
  for (let start = 0; start < extra; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, extra - start) }, (_, i) => writeFile(path.join(folder, 'extra', `f${start + i}`), '')));
  }
}

const statusOf = (ferry: RunningFerry) => ferry.server.dataplane.modelStatus('simple').versions;

describe('scan errors stay with their version', () => {
  it('a new version folder with 10,001 files is refused in its status while the serving version keeps serving', async () => {
    const { ferry, root } = await serveSimple();
    const served = ferry.server.manager.model('simple').versions.get(1)!;
    await versionWithFiles(root, '2', 10_000); // model.onnx and 10,000 more
    await ferry.server.manager.sync();
    expect(statusOf(ferry)).toEqual([
      { version: '2', state: 'ERROR', reason: 'the version folder holds more than 10000 files' },
      { version: '1', state: 'AVAILABLE', reason: 'last good version: serving in place of version 2, which could not be loaded' },
    ]);
    expect(ferry.server.manager.model('simple').versions.get(1)).toBe(served);
    const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model_version: string }).model_version).toBe('1');
  }, 60_000);

  it('a version folder of exactly 10,000 files loads; one more file keeps it serving, with the reason in its status', async () => {
    const { ferry, root } = await serveSimple();
    await versionWithFiles(root, '2', 9_999);
    await ferry.server.manager.sync();
    const version2 = () => statusOf(ferry).find((v) => v.version === '2');
    expect(version2()).toEqual({ version: '2', state: 'AVAILABLE' });
    await writeFile(path.join(root, 'simple', '2', 'extra', 'one-more'), '');
    await ferry.server.manager.sync();
    expect(version2()).toEqual({
      version: '2', state: 'AVAILABLE',
      reason: 'serving the files loaded before; the folder could not be scanned: the version folder holds more than 10000 files',
    });
    const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
    expect(((await response.json()) as { model_version: string }).model_version).toBe('2');
    await rm(path.join(root, 'simple', '2', 'extra', 'one-more'));
    await ferry.server.manager.sync();
    expect(version2()).toEqual({ version: '2', state: 'AVAILABLE' });
  }, 60_000);

  it('folders deleted while a scan reads them never unload the version that serves', async () => {
    const { ferry, root } = await serveSimple();
    const served = ferry.server.manager.model('simple').versions.get(1)!;
    const manager = ferry.server.manager;
    let raced = 0;
    for (let attempt = 0; attempt < 40 && raced < 3; attempt++) {
      await versionWithFiles(root, '2', 1500);
      const sync = manager.sync();
      // Take version 2 away while the scan lists or stats its files: by a rename (instant) or by deleting it.
      await new Promise((r) => setTimeout(r, attempt % 10));
      if (attempt % 2 === 0) await rename(path.join(root, 'simple', '2'), path.join(root, `gone-${attempt}`));
      else await rm(path.join(root, 'simple', '2'), { recursive: true, force: true });
      await sync;
      const v2 = manager.model('simple').versions.get(2);
      if (v2?.reason?.includes('ENOENT')) raced++;
      expect(manager.model('simple').versions.get(1), `attempt ${attempt}`).toBe(served);
      expect(served.state).toBe('AVAILABLE');
      await rm(path.join(root, `gone-${attempt}`), { recursive: true, force: true });
      await manager.sync(); // the next scan sees version 2 gone
      expect(statusOf(ferry)).toEqual([{ version: '1', state: 'AVAILABLE' }]);
    }
    expect(raced, 'scans that met a folder deleted under them').toBeGreaterThan(0);
  }, 120_000);
});
