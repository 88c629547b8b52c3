// Serving from the registry: a model follows an alias; moving the alias swaps versions (fetch, verify, load,
// warm up, swap); a tampered artifact is refused while the old version serves on.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestLocal } from '../src/repository/artifacts/index.ts';
import { inferScale, scaleArtifact, startRegistryFerry, waitUntil, type RegistryFerry } from './helpers/registry.ts';
import type { RunningFerry } from './helpers/server.ts';

let server: RegistryFerry;
let dataDir: string;
let ferry: RunningFerry;
let api: RegistryFerry['api'];

beforeAll(async () => {
  server = await startRegistryFerry('ferry-serving-');
  ({ dataDir, ferry, api } = server);
});
afterAll(async () => {
  await server?.stop();
});

const artifact = (name: string) => path.join(dataDir, 'artifacts', 'scale', name);

describe('serving a model that follows a registry alias', () => {
  it('serves nothing until the alias exists, then the version it names', async () => {
    expect((await inferScale(ferry.url)).status).toBe(503);
    const v1 = await api.register('scale', await scaleArtifact(artifact('a'), 1), {
      input_example: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] },
    });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, status: 'READY', created_by: 'release-bot' });
    expect(v1.body.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await api.setAlias('scale', 'champion', 1);
    await waitUntil(async () => (await inferScale(ferry.url)).version === '1', 5000, 'version 1 serving');
    expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4] });
  });

  it('swaps to the version the alias moves to, and back, answering from the new one within 2 s', async () => {
    await api.register('scale', await scaleArtifact(artifact('b'), 2));
    await api.setAlias('scale', 'champion', 2);
    const forward = await waitUntil(async () => (await inferScale(ferry.url)).version === '2', 2000, 'version 2 serving');
    expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '2', y: [2, 4, 6, 8] });
    const status = await api.serving();
    expect(status.body.models.find((m: { name: string }) => m.name === 'scale')).toMatchObject({ origin: 'models:/scale@champion', versions: [{ version: 2, state: 'AVAILABLE' }] });
    const rollback = await api.call('POST', '/api/v1/models/scale/aliases/champion/rollback');
    expect(rollback.body).toMatchObject({ version: 1, aliases: ['champion'] });
    const back = await waitUntil(async () => (await inferScale(ferry.url)).version === '1', 2000, 'version 1 serving again');
    console.log(`alias move to first answer from the new version: ${forward.toFixed(0)} ms forward, ${back.toFixed(0)} ms back`);
  });

  it('refuses a tampered artifact with a clear error, and the old version keeps serving', async () => {
    // Registered with the digest its client computed (the server has not fetched it), then changed at the source.
    const folder = await scaleArtifact(artifact('c'), 3);
    const { digest, files } = await digestLocal(folder);
    const v3 = await api.register('scale', folder, { digest, files });
    expect(v3.body).toMatchObject({ version: 3, digest, status: 'READY' });
    await writeFile(path.join(folder, 'model.onnx'), await readFile(path.join(artifact('b'), 'model.onnx')));
    await api.setAlias('scale', 'champion', 3);
    await waitUntil(async () => {
      const scale = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
      return scale.versions.some((v: { version: number; state: string }) => v.version === 3 && v.state === 'ERROR');
    }, 5000, 'version 3 refused');
    const scale = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
    const refused = scale.versions.find((v: { version: number }) => v.version === 3);
    // The reason names the artifact (paths outside the repository are shortened) and both digests.
    expect(refused.reason).toMatch(new RegExp(`^artifact '[^']*c' has digest sha256:[0-9a-f]{64}, the registry recorded ${digest}: refused$`));
    expect(refused.reason).not.toContain(digest + ', the registry');
    for (let i = 0; i < 20; i++) expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: [1, 2, 3, 4] });
  });

  it('refuses a version whose warm-up request fails, keeping the old one', async () => {
    const v4 = await api.register('scale', await scaleArtifact(artifact('d'), 2), {
      input_example: { inputs: [{ name: 'wrong', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] },
    });
    await api.setAlias('scale', 'champion', v4.body.version);
    await waitUntil(async () => {
      const scale = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
      return scale.versions.some((v: { version: number; state: string }) => v.version === v4.body.version && v.state === 'ERROR');
    }, 5000, 'version 4 refused');
    const scale = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
    expect(scale.versions.find((v: { version: number }) => v.version === 4).reason).toMatch(/warm-up request failed/);
    expect(await inferScale(ferry.url)).toMatchObject({ status: 200, version: '1' });
  });
});
