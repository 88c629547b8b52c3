import { mkdir, mkdtemp, readdir, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import type { ModelSource } from '../../models/index.ts';
import { isValidModelName, scanModel } from '../../repository/index.ts';

/** The one model `ferry predict` loads: a repository root, the model's name in it, and the version asked for. */
export interface ModelTarget {
  readonly root: string;
  readonly name: string;
  readonly version?: string;
  readonly allowedPaths: readonly string[];
  /** A source that lists this model only, so that nothing else is loaded. */
  readonly source: ModelSource;
  cleanup(): Promise<void>;
}

const isVersionName = (name: string) => /^\d+$/.test(name);

/**
 * `--model` as a model folder (`models/iris`: its version folders, model.yaml and version policy), a version folder
 * (`models/iris/3`), a folder holding model files only (served as version 1 of a model named after the folder), or
 * the name of a model in the repository.
 */
export async function resolveModelTarget(model: string, repository: string, allowedPaths: readonly string[], version: string | undefined): Promise<ModelTarget> {
  const info = await stat(model).catch(() => undefined);
  if (!info?.isDirectory()) {
    if (model.includes('/') || model.includes(path.sep)) throw ferryError('FERRY_ERR_DATA_FILE', { file: model, detail: 'no such model folder' });
    return target(path.resolve(repository), model, version, allowedPaths, async () => undefined);
  }
  const folder = path.resolve(model);
  const entries = await readdir(folder, { withFileTypes: true });
  if (entries.some((e) => e.isDirectory() && isVersionName(e.name))) {
    return target(path.dirname(folder), path.basename(folder), version, allowedPaths, async () => undefined);
  }
  if (isVersionName(path.basename(folder)) && version === undefined) {
    const modelFolder = path.dirname(folder);
    return target(path.dirname(modelFolder), path.basename(modelFolder), path.basename(folder), allowedPaths, async () => undefined);
  }
  // Model files alone: served from a scratch repository whose version folder links to them (and may, by the same
  // path rules a repository follows).
  const real = await realpath(folder);
  const scratch = await mkdtemp(path.join(tmpdir(), 'ferry-predict-'));
  const name = isValidModelName(path.basename(folder)) ? path.basename(folder) : 'model';
  await mkdir(path.join(scratch, name));
  await symlink(real, path.join(scratch, name, '1'));
  return target(scratch, name, version ?? '1', [...allowedPaths, real], () => rm(scratch, { recursive: true, force: true }));
}

function target(root: string, name: string, version: string | undefined, allowedPaths: readonly string[], cleanup: () => Promise<void>): ModelTarget {
  const read = async () => {
    try {
      const scanned = await scanModel(root, name, { allowedPaths });
      if (version === undefined) return scanned;
      // A version asked for is the one loaded, whatever the version policy would select.
      const only = <T>(map: ReadonlyMap<number, T>) => new Map([...map].filter(([v]) => String(v) === version));
      return { ...scanned, versions: only(scanned.versions), versionStamps: only(scanned.versionStamps), versionErrors: only(scanned.versionErrors) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw ferryError('FERRY_ERR_MODEL_NOT_FOUND', { model: name });
      throw error;
    }
  };
  const source: ModelSource = {
    list: async () => ({ models: new Map([[name, await read()]]), skipped: [], unreadable: new Map() }),
    get: async (wanted) => (wanted === name ? read() : undefined),
  };
  return { root, name, ...(version === undefined ? {} : { version }), allowedPaths, source, cleanup };
}
