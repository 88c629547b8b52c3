import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import type { SupervisionSettings } from '../code/supervision.ts';
import { badChoice } from '../options.ts';
import type { ModelSpec, RuntimeLogger } from '../runtime.ts';
import { virtualenvPython, type VirtualenvSettings } from './virtualenv.ts';

/** Server-wide settings of the models-as-code runtimes (`runtime.allow_code`, `runtime.python`, `runtime.code`). */
export interface CodeRuntimeSettings {
  readonly allowCode: boolean;
  /** Default interpreter for Python models. */
  readonly python: string;
  readonly supervision: SupervisionSettings;
  /** Where `env_manager: virtualenv` models get their environments; without it such models fail to load. */
  readonly virtualenv?: VirtualenvSettings;
}

/** Refuses to load code unless the operator opted in; the error names the setting. */
export function requireCodeAllowed(settings: CodeRuntimeSettings, model: string, what: string): void {
  if (!settings.allowCode) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${what} is code, which Ferry runs only when allowed: start it with --allow-code (runtime.allow_code: true)` });
  }
}

/** The interpreter model.yaml names (`python:`, relative to the model's folder), or the server's default. */
export function interpreterFor(settings: CodeRuntimeSettings, versionDir: string, options: Readonly<Record<string, unknown>>, model: string): string {
  const named = options['python'];
  if (named === undefined) return settings.python;
  if (typeof named !== 'string' || named === '') throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: 'python: must name an interpreter' });
  return named.includes('/') ? path.resolve(versionDir, '..', named) : named;
}

/** The interpreter a Python model runs with: its virtualenv's (`env_manager: virtualenv`) or the named/default one. */
export async function pythonFor(settings: CodeRuntimeSettings, spec: ModelSpec, logger: RuntimeLogger): Promise<string> {
  const base = interpreterFor(settings, spec.dir.path, spec.options, spec.name);
  const manager = spec.options['env_manager'] ?? 'local';
  if (manager === 'local') return base;
  if (manager !== 'virtualenv') badChoice(spec.name, spec.options, 'env_manager', ['local', 'virtualenv']);
  if (!settings.virtualenv) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'env_manager: virtualenv needs runtime.virtualenv settings' });
  return virtualenvPython(spec, base, settings.virtualenv, logger);
}
