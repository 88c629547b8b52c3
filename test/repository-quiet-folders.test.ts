import { appendFileSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE_MODELS, postJson, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

const MODEL_JSON = readFileSync(path.join(EXAMPLE_MODELS, 'iris_xgboost/1/model.json'));
/** Rows and probabilities computed by python-xgboost (rows with a missing value left out: JSON has no NaN). */
const REFERENCE = JSON.parse(readFileSync(path.join(EXAMPLE_MODELS, 'iris_xgboost/reference.json'), 'utf8')) as {
  features: { name: string }[]; rows: (number | null)[][]; expected: { probabilities: number[][] };
};
const COMPLETE = REFERENCE.rows.map((row, i) => ({ row, p: REFERENCE.expected.probabilities[i]! })).filter(({ row }) => row.every((v) => v !== null));

/** The model's file cut in `n` pieces, written in order. */
function pieces(n: number): Buffer[] {
  const size = Math.ceil(MODEL_JSON.length / n);
  return Array.from({ length: n }, (_, i) => MODEL_JSON.subarray(i * size, (i + 1) * size));
}

async function expectReferenceAnswers(ferry: RunningFerry, model: string): Promise<void> {
  const inputs = REFERENCE.features.map((f, c) => ({ name: f.name, datatype: 'FP64', shape: [COMPLETE.length], data: COMPLETE.map(({ row }) => row[c]) }));
  const answer = await postJson(`${ferry.url}/v2/models/${model}/infer`, { inputs });
  expect(answer.status).toBe(200);
  const probabilities = answer.body.outputs.find((o: { name: string }) => o.name === 'probabilities').data as number[];
  COMPLETE.forEach(({ p }, r) => p.forEach((want, k) => expect(probabilities[r * 3 + k]).toBeCloseTo(want, 6)));
}

describe('a version folder still being written is loaded once it is quiet', () => {
  let ferry: RunningFerry | undefined;
  let repo: Awaited<ReturnType<typeof scratchRepository>> | undefined;
  afterEach(async () => {
    await ferry?.stop();
    await repo?.remove();
    ferry = undefined;
    repo = undefined;
  });

  const versionsOf = (name: string) => (ferry!.server.manager.has(name) ? [...ferry!.server.manager.model(name).versions.values()] : []);
  const poll = () => ferry!.server.manager.sync({ waitForQuiet: true });

  it('a new version written in pieces across polls is not loaded half-written, then serves once a poll sees it unchanged', async () => {
    repo = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repo.root });
    const folder = path.join(repo.root, 'iris', '1');
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, 'model.json');
    for (const piece of pieces(3)) {
      appendFileSync(file, piece);
      await poll();
      expect(versionsOf('iris'), 'nothing loaded, nothing in ERROR while the file grows').toEqual([]);
    }
    // Complete now, but changed since the last poll: one more poll must see the same listing first.
    await poll();
    expect(versionsOf('iris').map((v) => [v.version, v.state])).toEqual([[1, 'AVAILABLE']]);
    await expectReferenceAnswers(ferry, 'iris');
  }, 60_000);

  it('the same half-written file is an ERROR when loaded at once, as the first scan at start does (the waiting is what prevents it)', async () => {
    repo = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repo.root });
    await mkdir(path.join(repo.root, 'iris', '1'), { recursive: true });
    await writeFile(path.join(repo.root, 'iris', '1', 'model.json'), pieces(3)[0]!);
    await ferry.server.manager.sync();
    expect(versionsOf('iris').map((v) => v.state)).toEqual(['ERROR']);
    // Written to the end, it loads once quiet: a changing folder in ERROR is retried when it settles.
    appendFileSync(path.join(repo.root, 'iris', '1', 'model.json'), Buffer.concat(pieces(3).slice(1)));
    await poll();
    expect(versionsOf('iris').map((v) => v.state)).toEqual(['ERROR']);
    await poll();
    expect(versionsOf('iris').map((v) => v.state)).toEqual(['AVAILABLE']);
  }, 60_000);

  it('a serving version whose files are being rewritten keeps serving its loaded copy, and says so, until they are quiet', async () => {
    repo = await scratchRepository(['iris_xgboost']);
    ferry = await startFerry({ model_repository: repo.root });
    const [loaded] = versionsOf('iris_xgboost');
    expect(loaded?.state).toBe('AVAILABLE');
    const file = path.join(repo.root, 'iris_xgboost', '1', 'model.json');
    await writeFile(file, pieces(2)[0]!);
    await poll();
    expect(versionsOf('iris_xgboost')).toEqual([loaded]);
    expect(loaded!.reason).toBe('its folder is changing: the new files load once it is the same for a poll');
    await expectReferenceAnswers(ferry, 'iris_xgboost');
    appendFileSync(file, pieces(2)[1]!);
    await poll();
    expect(versionsOf('iris_xgboost')).toEqual([loaded]);
    await poll();
    const [reloaded] = versionsOf('iris_xgboost');
    expect(reloaded).not.toBe(loaded);
    expect(reloaded!.state).toBe('AVAILABLE');
    expect(reloaded!.reason).toBeUndefined();
    await expectReferenceAnswers(ferry, 'iris_xgboost');
  }, 60_000);

  it('the poller waits: a file appended to every 25 ms for 2 s with polls every 0.4 s never shows an ERROR, and serves once done', async () => {
    repo = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repo.root, poll_seconds: 0.4 });
    await mkdir(path.join(repo.root, 'iris', '1'), { recursive: true });
    const file = path.join(repo.root, 'iris', '1', 'model.json');
    const states = new Set<string>();
    const watch = setInterval(() => versionsOf('iris').forEach((v) => states.add(v.state)), 10);
    try {
      for (const piece of pieces(80)) {
        appendFileSync(file, piece);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && versionsOf('iris')[0]?.state !== 'AVAILABLE') await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      clearInterval(watch);
    }
    expect(versionsOf('iris')[0]?.state).toBe('AVAILABLE');
    expect([...states].filter((s) => s === 'ERROR')).toEqual([]);
    await expectReferenceAnswers(ferry, 'iris');
  }, 60_000);
});
