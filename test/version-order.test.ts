// Version numbers compare as numbers everywhere a version is chosen or listed: with versions 9, 10 and 100 the
// newest is 100, and a comparison of their decimal texts ('9' > '100' > '10') would pick 9.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_MODELS, getJson, postJson, startFerry, type RunningFerry } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

const VERSIONS = [9, 10, 100];
let root: string;
let ferry: RunningFerry;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ferry-versions-'));
  // 'newest' keeps the default policy (the latest one); 'every' serves all three; 'two' the latest two.
  for (const [model, policy] of [['newest', ''], ['every', 'version_policy: all\n'], ['two', 'version_policy: {latest: 2}\n']] as const) {
    for (const v of VERSIONS) await cp(path.join(EXAMPLE_MODELS, 'simple/1'), path.join(root, model, String(v)), { recursive: true });
    await mkdir(path.join(root, model), { recursive: true });
    if (policy) await writeFile(path.join(root, model, 'model.yaml'), policy);
  }
  ferry = await startFerry({ model_repository: root });
}, 120_000);
afterAll(async () => {
  await ferry?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('versions 9, 10 and 100', () => {
  it('the default policy loads version 100 alone', async () => {
    const status = await getJson(`${ferry.url}/v2/models/newest`);
    expect(status.status).toBe(200);
    expect(status.body.versions).toEqual(['100']);
  });

  it('a latest-two policy loads 100 and 10', async () => {
    expect((await getJson(`${ferry.url}/v2/models/two`)).body.versions).toEqual(['10', '100']);
  });

  it('lists every version in numeric order and answers an unversioned request from 100', async () => {
    expect((await getJson(`${ferry.url}/v2/models/every`)).body.versions).toEqual(['9', '10', '100']);
    const answer = await postJson(`${ferry.url}/v2/models/every/infer`, simpleRequest());
    expect(answer.status).toBe(200);
    expect(answer.body.model_version).toBe('100');
    const index = await postJson(`${ferry.url}/v2/repository/index`, {});
    expect(index.body.filter((e: { name: string }) => e.name === 'every').map((e: { version: string }) => e.version)).toEqual(['9', '10', '100']);
  });

  it('answers a request for version 9 from version 9', async () => {
    const answer = await postJson(`${ferry.url}/v2/models/every/versions/9/infer`, simpleRequest());
    expect(answer.body.model_version).toBe('9');
  });
});
