// The scikit-learn exporter as a user installs it: `pip install ./python` into a virtual environment (Debian's
// python3 with its scikit-learn visible), then its command exports into a version folder that does not exist yet.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/server.ts';

const PYTHON = process.env.FERRY_TEST_PYTHON ?? '/usr/bin/python3';
const run = promisify(execFile);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'ferry-pip-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('ferry_sklearn installed with pip', () => {
  it('installs from python/ without an index and exports into folders it creates', async () => {
    const venv = path.join(scratch, 'venv');
    await run(PYTHON, ['-m', 'venv', '--system-site-packages', venv], { timeout: 120_000 });
    // No index (offline), and the build backend from the system (Debian's setuptools and wheel), not downloaded.
    await run(path.join(venv, 'bin/pip'), ['install', '--no-index', '--no-build-isolation', path.join(REPO_ROOT, 'python')], { timeout: 180_000, cwd: scratch });
    const target = path.join(scratch, 'models/churn/1/model.json');
    const { stdout } = await run(path.join(venv, 'bin/ferry-sklearn'), ['demo', '--out', target], { timeout: 120_000, cwd: scratch, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    expect(stdout.trim()).toBe(`wrote ${target}`);
    expect(existsSync(target)).toBe(true);
    const document = JSON.parse(readFileSync(target, 'utf8')) as { format: string; features: { name: string }[] };
    expect(document.format).toBe('ferry-sklearn');
    expect(document.features.map((f) => f.name)).toEqual(['age', 'income', 'region']);
    // The installed package is the one imported, not the source tree.
    const where = await run(path.join(venv, 'bin/python'), ['-c', 'import ferry_sklearn; print(ferry_sklearn.__file__)'], { cwd: scratch });
    expect(where.stdout.trim().startsWith(venv)).toBe(true);
  }, 300_000);
});
