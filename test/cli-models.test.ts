// `ferry models list|status` run in-process (the commander program the binary runs) against a real server whose
// repository holds a serving model, a model whose model.yaml is refused, one whose only version fails to load,
// and one serving its last good version.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModels } from '../src/cli/models.ts';
import { runCli, type CliRun } from './helpers/cli.ts';
import { EXAMPLE_MODELS, scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

let ferry: RunningFerry;
let repo: Awaited<ReturnType<typeof scratchRepository>>;

async function models(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli(registerModels, ['models', ...args], env);
}

beforeAll(async () => {
  repo = await scratchRepository(['simple', 'iris_xgboost']);
  await writeFile(path.join(repo.root, 'iris_xgboost', 'model.yaml'), 'batching: adaptiv\n');
  await mkdir(path.join(repo.root, 'broken', '1'), { recursive: true });
  await writeFile(path.join(repo.root, 'broken', '1', 'model.onnx'), 'not onnx');
  await cp(path.join(EXAMPLE_MODELS, 'half_plus_two', '1'), path.join(repo.root, 'fallback', '1'), { recursive: true });
  await mkdir(path.join(repo.root, 'fallback', '2'), { recursive: true });
  await writeFile(path.join(repo.root, 'fallback', '2', 'model.onnx'), 'not onnx');
  ferry = await startFerry({ model_repository: repo.root, auth: { allow_loopback_without_token: true } });
}, 60_000);
afterAll(async () => {
  await ferry?.stop();
  await repo?.remove();
});

describe('ferry models', () => {
  it('list: each model with what it serves, where from, and what is wrong, as a table', async () => {
    const list = await models(['list', '--url', ferry.url]);
    expect(list.code).toBe(0);
    const lines = list.out.split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+SERVING\s+FROM\s+PROBLEM$/);
    expect(lines.slice(1, -1)).toEqual([
      expect.stringMatching(/^broken\s+-\s+repository\s+version 1 ERROR$/),
      expect.stringMatching(/^fallback\s+1\s+repository\s+version 2 ERROR$/),
      expect.stringMatching(/^iris_xgboost\s+-\s+repository\s+model\.yaml refused$/),
      expect.stringMatching(/^simple\s+1\s+repository$/),
    ]);
    expect(lines.at(-1)).toBe('registry: reachable');
  });

  it('list -o json: the server\'s serving status as it is', async () => {
    const list = await models(['list', '--url', ferry.url, '-o', 'json']);
    expect(list.code).toBe(0);
    const parsed = JSON.parse(list.out) as { models: { name: string; config_error?: string; versions: { version: number; state: string }[] }[] };
    expect(parsed.models.map((m) => m.name)).toEqual(['broken', 'fallback', 'iris_xgboost', 'simple']);
    expect(parsed.models.find((m) => m.name === 'fallback')!.versions.map((v) => [v.version, v.state])).toEqual([[2, 'ERROR'], [1, 'AVAILABLE']]);
    expect(parsed.models.find((m) => m.name === 'iris_xgboost')!.config_error).toMatch(/model\.yaml batching: expected off \| dynamic \| adaptive/);
  });

  it('status: a refused model.yaml and each version with its state and reason', async () => {
    const refused = await models(['status', 'iris_xgboost', '--url', ferry.url]);
    expect(refused.code).toBe(0);
    expect(refused.out).toBe([
      'iris_xgboost (from repository)',
      'model.yaml REFUSED: failed to load model \'iris_xgboost\': model.yaml batching: expected off | dynamic | adaptive | {mode, ...} (got "adaptiv")',
      'no versions',
    ].join('\n'));
    const fallback = await models(['status', 'fallback', '--url', ferry.url]);
    const rows = fallback.out.split('\n');
    expect(rows[0]).toBe('fallback (from repository)');
    expect(rows[1]).toMatch(/^VERSION\s+STATE\s+REASON$/);
    expect(rows[2]).toMatch(/^2\s+ERROR\s+failed to load model 'fallback': /);
    expect(rows[3]).toMatch(/^1\s+AVAILABLE\s+last good version: serving in place of version 2, which could not be loaded$/);
    const json = await models(['status', 'simple', '--url', ferry.url, '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual({ name: 'simple', origin: 'repository', versions: [{ version: 1, state: 'AVAILABLE' }] });
  });

  it('exit codes and errors: unknown model 3, unknown --output 2, server unreachable 6; with -o json the error is JSON', async () => {
    const missing = await models(['status', 'nope', '--url', ferry.url]);
    expect([missing.code, missing.err]).toEqual([3, "ferry models: model 'nope' not found"]);
    const missingJson = await models(['status', 'nope', '--url', ferry.url, '-o', 'json']);
    expect([missingJson.code, JSON.parse(missingJson.out)]).toEqual([3, { error: "model 'nope' not found", code: 'FERRY_ERR_MODEL_NOT_FOUND' }]);
    const badOutput = await models(['list', '--url', ferry.url, '-o', 'yaml']);
    expect([badOutput.code, badOutput.out, badOutput.err]).toEqual([2, '', 'ferry models: --output: expected table | json (got "yaml")']);
    const down = await models(['list', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(6);
    expect(down.err).toMatch(/^ferry models: .*127\.0\.0\.1:1/);
  });

  it('takes the server from FERRY_URL when --url is not given', async () => {
    const list = await models(['list'], { FERRY_URL: ferry.url });
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/\nsimple\s+1\s+repository\n/);
  });
});
