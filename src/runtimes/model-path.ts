import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../errors/index.ts';
import type { ModelDir } from './runtime.ts';

/**
 * The one rule for files a model reads, applied by the repository scan to what it lists and by every runtime to the
 * file it opens: the real path (symbolic links followed) lies inside the version folder's real path, or inside one
 * of the allowed roots (`repository.allowed_paths`).
 */
export function isInsideAny(realPath: string, roots: readonly string[]): boolean {
  return roots.some((root) => realPath === root || realPath.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
}

/** A relative path that stays inside the folder it is joined to: no '..' segment, not absolute, not empty. */
export function isContainedRelative(relative: string): boolean {
  if (relative === '' || relative.includes('\0') || path.isAbsolute(relative)) return false;
  return !path.normalize(relative).split(path.sep).includes('..');
}

/** Why a path that resolved outside the allowed places is refused (shown in model status and load errors). */
export function outsideReason(relative: string): string {
  return `${relative} is a symbolic link to a path outside the version folder and repository.allowed_paths`;
}

/**
 * Resolves a file a runtime is about to read: `relative` names a file of the version folder's listing (from the
 * scan, which applies the same rule), given by an option (`option`, e.g. 'options.file') or chosen by the runtime.
 * Returns its real path, checked again here because the folder may have changed since it was scanned.
 */
export async function resolveModelFile(model: string, dir: ModelDir, relative: string, option?: string): Promise<string> {
  const named = option === undefined ? relative : `${option} '${relative}'`;
  const refuse = (detail: string) => ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail });
  if (!isContainedRelative(relative)) throw refuse(`${named} must be a file inside the version folder`);
  if (!dir.files.includes(relative)) throw refuse(`${named} is not a file of the version folder`);
  let folder: string;
  let real: string;
  try {
    folder = await realpath(dir.path);
    real = await realpath(path.join(dir.path, relative));
  } catch (cause) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${named} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})` }, cause);
  }
  if (!isInsideAny(real, [folder, ...(dir.allowedRoots ?? [])])) throw refuse(outsideReason(relative));
  return real;
}
