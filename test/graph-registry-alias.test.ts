// `model@alias` in a graph names a registry alias when the model is served from the registry: the server serves
// the version each alias names beside the model's own reference, and follows the aliases as they move.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, inferScale, managementApi, scaleArtifact, waitUntil } from './helpers/registry.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const GRAPH = `
nodes:
  - {name: champion, type: model, model: scale@champion}
  - {name: challenger, type: model, model: scale@challenger}
  - name: pick
    type: router
    policy: header
    match: {header: x-arm, values: {a: champion, b: challenger}, default: champion}
    arms: [{name: champion, node: champion}, {name: challenger, node: challenger}]
`;

/** The graph's answer for x = [1, 2, 3, 4] through one arm: k * x tells which registry version answered. */
async function viaGraph(url: string, arm: 'a' | 'b'): Promise<number[] | undefined> {
  const response = await fetch(`${url}/v2/models/ab/infer`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-arm': arm },
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
  });
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
}
const scaled = (k: number) => [1, 2, 3, 4].map((x) => k * x);
const answers = (url: string, arm: 'a' | 'b', k: number) => async () => JSON.stringify(await viaGraph(url, arm)) === JSON.stringify(scaled(k));

describe('graph nodes naming registry aliases', () => {
  let root: string;
  let ferry: RunningFerry;
  let api: ReturnType<typeof managementApi>;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ferry-graph-alias-'));
    await mkdir(path.join(root, 'models'));
    await mkdir(path.join(root, 'deployments'));
    await writeFile(path.join(root, 'deployments', 'ab.yaml'), GRAPH);
    await writeFile(path.join(root, 'deployments', 'missing.yaml'), 'nodes:\n  - {name: only, type: model, model: scale@nobody}\n');
    ferry = await startFerry({
      data_dir: path.join(root, 'data'), model_repository: path.join(root, 'models'), poll_seconds: 0.2,
      auth: { tokens: [{ name: 'release-bot', token: ADMIN_TOKEN, scopes: ['admin'] }] },
      registry: { poll_seconds: 0.1 },
      models: { scale: 'models:/scale@champion' },
    });
    api = managementApi(ferry.url);
    for (const k of [1, 2, 3] as const) expect((await api.register('scale', await scaleArtifact(path.join(root, 'data', 'artifacts', `k${k}`), k))).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await ferry?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('serves each alias\'s version through its node, while the model itself keeps answering from its own reference', async () => {
    await api.setAlias('scale', 'champion', 1);
    await api.setAlias('scale', 'challenger', 2);
    await waitUntil(answers(ferry.url, 'b', 2), 15_000, 'the challenger node answering from version 2');
    expect(await viaGraph(ferry.url, 'a')).toEqual(scaled(1));
    // Version 2 is loaded for the graph, yet a request naming no version still gets the champion.
    for (let i = 0; i < 5; i++) expect(await inferScale(ferry.url)).toEqual({ status: 200, version: '1', y: scaled(1) });
    const serving = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
    expect(serving.versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2]);
    // An alias the registry does not have leaves its graph unserved, saying so.
    const index = (await (await fetch(`${ferry.url}/v2/repository/index`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).json()) as { name: string; state: string; reason?: string }[];
    expect(index.find((e) => e.name === 'missing')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/graph 'missing' node 'only': .*nobody/) });
  }, 30_000);

  it('follows an alias that moves, and the model\'s own reference moving', async () => {
    await api.setAlias('scale', 'challenger', 3);
    await waitUntil(answers(ferry.url, 'b', 3), 15_000, 'the challenger node answering from version 3');
    expect(await viaGraph(ferry.url, 'a')).toEqual(scaled(1));
    expect(await inferScale(ferry.url)).toMatchObject({ status: 200, version: '1' });

    await api.setAlias('scale', 'champion', 2);
    await waitUntil(answers(ferry.url, 'a', 2), 15_000, 'the champion node answering from version 2');
    await waitUntil(async () => (await inferScale(ferry.url)).version === '2', 15_000, 'the model answering from version 2');
    expect(await viaGraph(ferry.url, 'b')).toEqual(scaled(3));
    // Version 1 is named by nothing any more: it is unloaded.
    await waitUntil(async () => {
      const serving = (await api.serving()).body.models.find((m: { name: string }) => m.name === 'scale');
      return JSON.stringify(serving.versions.filter((v: { state: string }) => v.state === 'AVAILABLE').map((v: { version: number }) => v.version).sort()) === '[2,3]';
    }, 15_000, 'versions 2 and 3 serving alone');
  }, 60_000);
});
