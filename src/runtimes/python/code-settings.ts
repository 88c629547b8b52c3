import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import type { SupervisionSettings } from '../code/supervision.ts';

/** Server-wide settings of the models-as-code runtimes (`runtime.allow_code`, `runtime.python`, `runtime.code`). */
export interface CodeRuntimeSettings {
  readonly allowCode: boolean;
  /** Default interpreter for Python models. */
  readonly python: string;
  readonly supervision: SupervisionSettings;
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
