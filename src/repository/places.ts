import { realpath } from 'node:fs/promises';
import { ferryError } from '../errors/index.ts';
import { isInsideAny } from '../runtimes/model-path.ts';

/**
 * Where a repository's folders and files may be: under the repository root, or under a path the configuration
 * allows (`repository.allowed_paths`, for volumes mounted elsewhere and linked in). Everything is compared by real
 * path, so a symbolic link counts where it points.
 */
export interface RepositoryPlaces {
  /** The root as configured (absolute) and its real path. */
  readonly root: string;
  readonly realRoot: string;
  /** Real paths of the allowed paths that exist. */
  readonly allowed: readonly string[];
}

export async function repositoryPlaces(root: string, allowedPaths: readonly string[]): Promise<RepositoryPlaces> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model repository '${root}' ${reason} (set it with 'ferry serve DIR', model_repository or FERRY_MODEL_REPOSITORY)` });
  }
  const allowed: string[] = [];
  for (const allowedPath of allowedPaths) {
    try {
      allowed.push(await realpath(allowedPath));
    } catch {
      // An allowed path that does not exist (yet) allows nothing.
    }
  }
  return { root, realRoot, allowed };
}

/** True when `real` lies in the repository or in an allowed path. */
export function isAllowedPlace(places: RepositoryPlaces, real: string): boolean {
  return isInsideAny(real, [places.realRoot, ...places.allowed]);
}

/** A reason to leave a folder or version out of the repository, shown in the repository index and model status. */
export class ScanRefusal extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ScanRefusal';
  }
}
