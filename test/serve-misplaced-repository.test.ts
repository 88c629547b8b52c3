import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll, tracked } from './helpers/processes.ts';
import { EXAMPLE_MODELS, REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');

afterEach(() => stopAll());

/** Runs `ferry serve DIR` and returns its exit code and its log lines at error level and above. */
async function serve(dir: string): Promise<{ code: number | null; fatal: { code?: string; msg: string }[] }> {
  const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', dir, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; code?: string; msg: string });
  return { code, fatal: lines.filter((line) => line.level >= 50) };
}

// A model or version folder given as the repository would serve nothing and say nothing: it stops at start instead.
describe('ferry serve pointed at a model folder or a version folder', () => {
  it('a model folder: exits 1 naming the folder above it as the repository', async () => {
    const { code, fatal } = await serve(path.join(EXAMPLE_MODELS, 'half_plus_two'));
    expect(code).toBe(1);
    expect(fatal).toEqual([expect.objectContaining({ code: 'FERRY_ERR_CONFIG_INVALID' })]);
    expect(fatal[0]!.msg).toContain(`half_plus_two holds only version folders (1): it is a model folder, not a repository; serve the folder above it (ferry serve ${EXAMPLE_MODELS}), where it is model 'half_plus_two'`);
  }, 60_000);

  it('a version folder: exits 1 naming the repository two levels up', async () => {
    const { code, fatal } = await serve(path.join(EXAMPLE_MODELS, 'iris_xgboost', '1'));
    expect(code).toBe(1);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toContain(`iris_xgboost/1 holds a model's files (model.json): it is a version folder, not a repository; serve the repository two levels up (ferry serve ${EXAMPLE_MODELS})`);
  }, 60_000);
});
