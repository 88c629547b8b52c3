import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ferryError } from '../../errors/index.ts';
import type { ModelSpec, RuntimeLogger } from '../runtime.ts';
import { checkPythonVersion, readPythonEnv, requirementLines } from './python-env.ts';

const run = promisify(execFile);

/** Where virtualenvs are kept and where pip may look (`runtime.virtualenv`). */
export interface VirtualenvSettings {
  readonly cacheDir: string;
  readonly indexUrl?: string | undefined;
  readonly findLinks: readonly string[];
  /** Never ask an index: only find-links (an air-gapped wheelhouse). */
  readonly noIndex: boolean;
  readonly buildTimeoutMs: number;
}

const REQUIREMENT_FILES = ['requirements.txt', 'python_env.yaml'];
const building = new Map<string, Promise<string>>();

/**
 * The interpreter of the virtualenv for a version (MLflow's `env_manager: virtualenv`): made from its
 * requirements.txt, else python_env.yaml's dependencies, on top of the base interpreter (of python_env.yaml's
 * Python version, when it names one), built once and cached
 * under the hash of those files. The venv sees the base's site packages, so numpy the worker needs comes from there.
 */
export async function virtualenvPython(spec: ModelSpec, base: string, settings: VirtualenvSettings, logger: RuntimeLogger): Promise<string> {
  const present = REQUIREMENT_FILES.filter((f) => spec.dir.files.includes(f));
  if (present.length === 0) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'env_manager: virtualenv needs a requirements.txt or a python_env.yaml in the version folder' });
  }
  const hash = createHash('sha256').update(base);
  for (const file of present) hash.update(`\0${file}\0`).update(await readFile(path.join(spec.dir.path, file)));
  const home = path.join(settings.cacheDir, hash.digest('hex').slice(0, 24));
  const python = path.join(home, 'bin', 'python');
  if (await exists(path.join(home, '.ferry-built'))) return python;
  let build = building.get(home);
  if (!build) {
    build = buildVirtualenv(spec, base, home, settings, logger).finally(() => building.delete(home));
    building.set(home, build);
  }
  return build;
}

async function buildVirtualenv(spec: ModelSpec, base: string, home: string, settings: VirtualenvSettings, logger: RuntimeLogger): Promise<string> {
  const env = spec.dir.files.includes('python_env.yaml') ? await readPythonEnv(spec) : undefined;
  if (env?.python !== undefined) await checkPythonVersion(spec, base, env.python);
  const tag = { model: spec.name, version: spec.version, virtualenv: home };
  const staging = `${home}.building-${process.pid}`;
  const started = performance.now();
  logger.info(tag, 'building virtualenv');
  await rm(staging, { recursive: true, force: true });
  await mkdir(settings.cacheDir, { recursive: true });
  const options = { timeout: settings.buildTimeoutMs, maxBuffer: 16 * 1024 * 1024 };
  try {
    await run(base, ['-m', 'venv', '--system-site-packages', staging], options);
    const pip = ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-r', await requirementsFile(spec, staging)];
    if (settings.noIndex) pip.push('--no-index');
    if (settings.indexUrl) pip.push('--index-url', settings.indexUrl);
    for (const link of settings.findLinks) pip.push('--find-links', link);
    await run(path.join(staging, 'bin', 'python'), pip, options);
    await run(path.join(staging, 'bin', 'python'), ['-c', 'open(__import__("sys").prefix + "/.ferry-built", "w").close()'], options);
    await rm(home, { recursive: true, force: true });
    await rename(staging, home);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const failure = error as Error & { stderr?: string; killed?: boolean };
    const said = (failure.stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('ERROR:')).join(' ') || failure.stderr?.trim().split('\n').at(-1) || failure.message;
    const detail = failure.killed ? `building the virtualenv took over ${settings.buildTimeoutMs / 1000} s` : `building the virtualenv failed: ${said}`;
    logger.error({ ...tag, stderr: failure.stderr }, 'virtualenv build failed');
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail });
  }
  logger.info({ ...tag, ms: Math.round(performance.now() - started) }, 'virtualenv built');
  return path.join(home, 'bin', 'python');
}

/**
 * The requirements pip installs: requirements.txt when the folder has one, else python_env.yaml's dependencies
 * (as MLflow's virtualenv manager reads them), written into the environment being built.
 */
async function requirementsFile(spec: ModelSpec, staging: string): Promise<string> {
  if (spec.dir.files.includes('requirements.txt')) return path.join(spec.dir.path, 'requirements.txt');
  const { dependencies } = await readPythonEnv(spec);
  const file = path.join(staging, 'ferry-requirements.txt');
  await writeFile(file, requirementLines(spec, dependencies));
  return file;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
