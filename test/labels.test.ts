import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

/** Version labels (TF Serving's /labels/<label>) follow model.yaml, and move when it changes. */
describe('version labels', () => {
  let ferry: RunningFerry;
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  const writeConfig = (labels: string) => writeFile(path.join(repo.root, 'half_plus_two/model.yaml'), `version_policy: all\nlabels: {${labels}}\n`);

  beforeAll(async () => {
    repo = await scratchRepository(['half_plus_two']);
    await cp(path.join(repo.root, 'half_plus_two/1'), path.join(repo.root, 'half_plus_two/2'), { recursive: true });
    await writeConfig('stable: 1, canary: 2');
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.2 });
  });
  afterAll(async () => {
    await ferry.stop();
    await repo.remove();
  });

  const versionOf = async (label: string) => {
    const response = await fetch(`${ferry.url}/v1/models/half_plus_two/labels/${label}`);
    const body = await jsonOf(response);
    return response.status === 200 ? body.model_version_status.map((s: { version: string }) => s.version) : body.error;
  };

  it('serves each label from its version, and moves a label when model.yaml changes', async () => {
    expect(await versionOf('stable')).toEqual(['1']);
    expect(await versionOf('canary')).toEqual(['2']);
    const predict = await fetch(`${ferry.url}/v1/models/half_plus_two/labels/canary:predict`, { method: 'POST', body: '{"instances": [2.0]}' });
    expect(await jsonOf(predict)).toEqual({ predictions: [3.0] });
    await writeConfig('stable: 2');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && JSON.stringify(await versionOf('stable')) !== '["2"]') await new Promise((r) => setTimeout(r, 50));
    expect(await versionOf('stable')).toEqual(['2']);
    expect(await versionOf('canary')).toMatch(/has no label 'canary'/);
  }, 30_000);
});
