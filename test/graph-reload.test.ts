import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferX, startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { getJson, postJson } from './helpers/server.ts';

/** The slow model answers after 3 s: long enough for a definition to change while a request is in flight. */
const SLOW_MS = 3000;
/** The slow model, then a rename of its answer: which name comes back tells which definition ran. */
const renamed = (to: string) => `
nodes:
  - {name: score, type: model, model: slow}
  - {name: post, type: output_transformer, inputs: [score], steps: [{rename: {y: ${to}}}]}
`;
const doubled = `
nodes:
  - {name: prep, type: transformer, steps: [{standardize: {x: {mean: [0], std: [0.5]}}}, {cast: {x: FP32}}]}
  - {name: model, type: model, model: quick, inputs: [prep]}
`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const outputNames = async (url: string, graph: string) => {
  const { status, body } = await getJson(`${url}/v2/models/${graph}`);
  return status === 200 ? (body.outputs as { name: string }[]).map((o) => o.name) : [];
};
const indexEntry = async (url: string, graph: string) => {
  const { body } = await postJson(`${url}/v2/repository/index`, {});
  return (body as { name: string; state: string; reason?: string }[]).find((e) => e.name === graph);
};

describe('deployment files reload without a restart', () => {
  let ferry: GraphServer;
  let deployments: string;
  beforeAll(async () => {
    ferry = await startGraphServer({
      scripted: { slow: { sleep_ms: SLOW_MS }, quick: {} },
      deployments: { shop: renamed('first') },
      config: { poll_seconds: 0.1, auth: { allow_loopback_without_token: true } },
    });
    deployments = path.join(ferry.root, 'deployments');
  }, 60_000);
  afterAll(() => ferry.stop());

  it('serves a changed definition to new requests while a request in flight finishes on the old one', async () => {
    const inFlight = inferX(ferry.url, 'shop', [1, 2]).then((answer) => ({ answer, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 200)); // the request is past the graph's entry
    await writeFile(path.join(deployments, 'shop.yaml'), renamed('second'));
    await until('the new definition', async () => ((await outputNames(ferry.url, 'shop')).includes('second') ? true : undefined));
    const switchedAt = Date.now();
    const { answer, at } = await inFlight;
    expect(at, 'the old request must still be running when the new definition serves').toBeGreaterThan(switchedAt);
    expect(answer.status).toBe(200);
    expect(answer.body.outputs.map((o: { name: string }) => o.name)).toEqual(['first']);
    const fresh = await inferX(ferry.url, 'shop', [1, 2]);
    expect(fresh.body.outputs[0]).toMatchObject({ name: 'second', data: [1, 2] });
  }, 30_000);

  it('keeps the old graph serving when the new file does not load, and says why in its status', async () => {
    await writeFile(path.join(deployments, 'shop.yaml'), 'nodes: [{name: score, type: model, model: slow');
    const entry = await until('the error in the index', async () => {
      const found = await indexEntry(ferry.url, 'shop');
      // A poll may read the file half-written (empty) first: wait for the error of the whole text.
      return found?.reason?.includes('not YAML') ? found : undefined;
    });
    expect(entry.state).toBe('READY');
    expect(entry.reason).toMatch(/^serving the previous definition; .*graph 'shop'.*not YAML/);
    expect((await fetch(`${ferry.url}/v2/models/shop/ready`)).status).toBe(200);
    const answer = await inferX(ferry.url, 'shop', [4]);
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0]).toMatchObject({ name: 'second', data: [4] });

    // Valid YAML that does not validate (an unknown model) is kept out the same way.
    await writeFile(path.join(deployments, 'shop.yaml'), 'nodes:\n  - {name: score, type: model, model: no_such_model}\n');
    await until('the validation error', async () => ((await indexEntry(ferry.url, 'shop'))?.reason?.includes('no_such_model') ? true : undefined));
    const listed = (await getJson(`${ferry.url}/api/v1/graphs`)).body.graphs.find((g: { name: string }) => g.name === 'shop');
    expect(listed).toMatchObject({ ready: true, deployment_error: expect.stringMatching(/model 'no_such_model' not found/) });
    expect((await inferX(ferry.url, 'shop', [5])).body.outputs[0]).toMatchObject({ name: 'second', data: [5] });

    // A fixed file serves again and the error is gone.
    await writeFile(path.join(deployments, 'shop.yaml'), renamed('third'));
    await until('the fixed definition', async () => ((await outputNames(ferry.url, 'shop')).includes('third') ? true : undefined));
    expect((await indexEntry(ferry.url, 'shop'))).toEqual({ name: 'shop', version: '1', state: 'READY' });
  }, 60_000);

  it('serves an added file and stops serving a deleted one', async () => {
    expect((await inferX(ferry.url, 'double', [1])).status).toBe(404);
    await writeFile(path.join(deployments, 'double.yaml'), doubled);
    await until('the added graph', async () => ((await indexEntry(ferry.url, 'double'))?.state === 'READY' ? true : undefined));
    const answer = await inferX(ferry.url, 'double', [1, -3]);
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0]).toMatchObject({ name: 'y', data: [2, -6] });

    await rm(path.join(deployments, 'double.yaml'));
    await until('the graph to go', async () => ((await indexEntry(ferry.url, 'double')) === undefined ? true : undefined));
    expect((await inferX(ferry.url, 'double', [1])).status).toBe(404);
    expect((await inferX(ferry.url, 'shop', [1])).status).toBe(200);
  }, 60_000);
});
