import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatModel, PYTHON, writeModel } from './helpers/python-models.ts';
import { postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * `env_manager: virtualenv` air-gapped: pip builds each model's environment from a wheelhouse this test makes
 * (`pip wheel` of a tiny package written here), with the index disabled.
 */
const run = promisify(execFile);

describe('virtualenv environments from a local wheelhouse', () => {
  let base: string;
  let ferry: RunningFerry;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'ferry-venv-'));
    const source = path.join(base, 'tiny-src');
    await mkdir(path.join(source, 'ferry_tiny_dep'), { recursive: true });
    await writeFile(path.join(source, 'ferry_tiny_dep', '__init__.py'), 'FACTOR = 3\n\ndef scale(x):\n    return x * FACTOR\n');
    await writeFile(path.join(source, 'setup.py'), 'from setuptools import setup\nsetup(name="ferry-tiny-dep", version="1.0", packages=["ferry_tiny_dep"])\n');
    const wheelhouse = path.join(base, 'wheelhouse');
    await run(PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-w', wheelhouse, source], { timeout: 120_000 });
    const root = path.join(base, 'models');
    await writeModel(root, 'envy', {
      'model.py': floatModel('x = ferry_tiny_dep.scale(x) / 2', 'import ferry_tiny_dep'),
      'requirements.txt': 'ferry-tiny-dep==1.0\n',
    }, 'env_manager: virtualenv\n');
    await writeModel(root, 'unresolvable', {
      'model.py': floatModel(''),
      'requirements.txt': 'ferry-no-such-package==9.9\n',
    }, 'env_manager: virtualenv\n');
    await writeModel(root, 'plain', { 'model.py': floatModel('') });
    // MLflow's python_env.yaml without a requirements.txt: its dependencies (one a requirements file beside it) and
    // its Python version, this interpreter's; and one asking for a Python that is not there.
    const version = (await run(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])).stdout.trim();
    await writeModel(root, 'mlflow_env', {
      'model.py': floatModel('x = ferry_tiny_dep.scale(x) + 1', 'import ferry_tiny_dep'),
      'python_env.yaml': `python: "${version}"\nbuild_dependencies:\n  - pip\ndependencies:\n  - -r tiny-requirements.txt\n`,
      'tiny-requirements.txt': 'ferry-tiny-dep==1.0\n',
    }, 'env_manager: virtualenv\n');
    await writeModel(root, 'old_python', {
      'model.py': floatModel(''),
      'python_env.yaml': 'python: "2.7.18"\ndependencies:\n  - ferry-tiny-dep==1.0\n',
    }, 'env_manager: virtualenv\n');
    ferry = await startFerry({
      model_repository: root,
      runtime: { allow_code: true, python: PYTHON, virtualenv: { cache_dir: path.join(base, 'venvs'), no_index: true, find_links: [wheelhouse] } },
    });
  }, 400_000);

  afterAll(async () => {
    await ferry?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('builds the environment once from the wheelhouse and serves the model that imports from it', async () => {
    // The package is in the model's environment only: the base interpreter does not have it.
    await expect(run(PYTHON, ['-c', 'import ferry_tiny_dep'])).rejects.toThrow(/No module named 'ferry_tiny_dep'/);
    const answer = await postJson(`${ferry.url}/v2/models/envy/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [2, -4] }] });
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0].data).toEqual([6, -12]); // scale (x3) / 2, then the model's x2
    // One environment per distinct set of requirements that builds: this model's and mlflow_env's.
    const built = await readdir(path.join(base, 'venvs'));
    expect(built).toHaveLength(2);
  });

  it("builds from python_env.yaml's dependencies when there is no requirements.txt, and refuses another Python", async () => {
    const answer = await postJson(`${ferry.url}/v2/models/mlflow_env/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [2, -4] }] });
    expect(answer.status).toBe(200);
    expect(answer.body.outputs[0].data).toEqual([14, -22]); // scale (x3) + 1, then the model's x2
    const status = ferry.server.dataplane.modelStatus('old_python').versions[0];
    expect(status?.state).toBe('ERROR');
    expect(status?.reason).toMatch(/python_env\.yaml asks for Python 2\.7\.18, the interpreter \S+ is Python 3\.\d+\.\d+: name a matching interpreter with python: in model\.yaml/);
  });

  it("leaves a version whose requirement cannot be resolved in ERROR with pip's message, other models serving", async () => {
    const status = ferry.server.dataplane.modelStatus('unresolvable').versions[0];
    expect(status?.state).toBe('ERROR');
    expect(JSON.stringify(status)).toMatch(/building the virtualenv failed: ERROR: .*ferry-no-such-package==9\.9/);
    const plain = await postJson(`${ferry.url}/v2/models/plain/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] });
    expect(plain.body.outputs[0].data).toEqual([2, 4]);
  });
});
