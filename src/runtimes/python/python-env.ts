import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ferryError } from '../../errors/index.ts';
import type { ModelSpec } from '../runtime.ts';

const run = promisify(execFile);

/** What Ferry reads of an MLflow `python_env.yaml`: the Python version and the pip requirements. */
export interface PythonEnv {
  readonly python?: string;
  readonly dependencies: readonly string[];
}

/** The version folder's python_env.yaml, checked: `python` a version string, `dependencies` a list of pip lines. */
export async function readPythonEnv(spec: ModelSpec): Promise<PythonEnv> {
  const bad = (detail: string) => ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `python_env.yaml ${detail}` });
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path.join(spec.dir.path, 'python_env.yaml'), 'utf8'));
  } catch (error) {
    throw bad(`is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad('must be a mapping (python, build_dependencies, dependencies)');
  const { python, dependencies = [] } = doc as { python?: unknown; dependencies?: unknown };
  if (python !== undefined && (typeof python !== 'string' && typeof python !== 'number')) throw bad(`python must be a version such as 3.11, got ${JSON.stringify(python)}`);
  if (!Array.isArray(dependencies) || !dependencies.every((d) => typeof d === 'string')) throw bad('dependencies must be a list of pip requirement lines');
  return { ...(python === undefined ? {} : { python: String(python) }), dependencies };
}

/**
 * python_env.yaml's dependencies as the lines of a requirements file kept outside the version folder: a relative
 * `-r`/`-c` file is made absolute, since pip reads it relative to the file that names it.
 */
export function requirementLines(spec: ModelSpec, dependencies: readonly string[]): string {
  return dependencies.map((line) => {
    const nested = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)$/.exec(line.trim());
    if (!nested || path.isAbsolute(nested[2]!) || /^[a-z]+:\/\//i.test(nested[2]!)) return line;
    return `${nested[1]} ${path.join(spec.dir.path, nested[2]!)}`;
  }).join('\n') + '\n';
}

/**
 * Refuses a base interpreter of another Python than python_env.yaml asks for (major and minor must match, as
 * packages built for one do not load in another). Ferry does not install interpreters: the error names the setting
 * that picks one.
 */
export async function checkPythonVersion(spec: ModelSpec, base: string, wanted: string): Promise<void> {
  let have: string;
  try {
    have = (await run(base, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'])).stdout.trim();
  } catch (error) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `could not ask ${base} its version: ${(error as Error).message.split('\n')[0]}` });
  }
  const [wantMajor, wantMinor] = wanted.split('.');
  const [haveMajor, haveMinor] = have.split('.');
  if (wantMajor === haveMajor && (wantMinor === undefined || wantMinor === haveMinor)) return;
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
    model: spec.name,
    detail: `python_env.yaml asks for Python ${wanted}, the interpreter ${base} is Python ${have}: name a matching interpreter with python: in model.yaml (or runtime.python)`,
  });
}
