import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelDir } from '../runtimes/runtime.ts';
import { isValidModelName, isVersionFolder } from './model-name.ts';
import { isAllowedPlace, repositoryPlaces, ScanRefusal, type RepositoryPlaces } from './places.ts';
import { scanVersionFolder } from './version-folder.ts';
import { modelFolderHint } from './layout-hints.ts';

/** The class labels file a model folder may hold, read by the classification extension (Triton's label_filename). */
export const CLASS_LABELS_FILE = 'labels.txt';

/** What the repository holds for one model: its model.yaml text (if any) and its version folders. */
export interface RepositoryModel {
  readonly name: string;
  readonly configText?: string;
  /** The model folder's class labels file (CLASS_LABELS_FILE), one label per line, line i naming class i. */
  readonly labelsText?: string;
  readonly versions: ReadonlyMap<number, ModelDir>;
  /** Per version, a stamp of its files' names, sizes and mtimes: a changed stamp means the version was edited. */
  readonly versionStamps: ReadonlyMap<number, string>;
  /**
   * Versions present that could not be scanned this time, with why (a folder that breaks the path rules, too many
   * files, a folder changing during the scan). Only that version is affected: what serves from it keeps serving.
   */
  readonly versionErrors: ReadonlyMap<number, string>;
  /** With no version folder: what the model folder holds instead (an MLflow model, Triton's layout), said as what to do. */
  readonly layoutHint?: string;
}

export interface RepositoryScan {
  readonly models: ReadonlyMap<string, RepositoryModel>;
  /** Folders left out, with why (bad names, symbolic links to places not allowed): listed in the repository index. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Model folders present but unreadable this time (an I/O error, deleted during the scan): left as they are. */
  readonly unreadable: ReadonlyMap<string, string>;
}

export interface ScanOptions {
  /** `repository.allowed_paths`: places outside the root that symbolic links may resolve into. */
  readonly allowedPaths?: readonly string[];
}

/** Reads a TF Serving / Triton style repository: ROOT/<model>/<version>/files, ROOT/<model>/model.yaml. */
export async function scanRepository(root: string, options: ScanOptions = {}): Promise<RepositoryScan> {
  const places = await repositoryPlaces(root, options.allowedPaths ?? []);
  const models = new Map<string, RepositoryModel>();
  const skipped: { path: string; reason: string }[] = [];
  const unreadable = new Map<string, string>();
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    if (!isValidModelName(entry.name)) {
      skipped.push({ path: entry.name, reason: 'not a valid model name' });
      continue;
    }
    try {
      models.set(entry.name, await scanModelIn(places, entry.name));
    } catch (error) {
      if (error instanceof NotAFolder) continue; // a link to a file, like any other file at the top level
      if (error instanceof ScanRefusal) skipped.push({ path: entry.name, reason: error.message });
      else unreadable.set(entry.name, describeIoError(error));
    }
  }
  return { models, skipped, unreadable };
}

/**
 * Scans one model folder by the same rules as scanRepository: the explicit load of a model follows exactly the
 * folders a scan follows. Throws a ScanRefusal for a folder the rules leave out; ENOENT when there is none.
 */
export async function scanModel(root: string, name: string, options: ScanOptions = {}): Promise<RepositoryModel> {
  return scanModelIn(await repositoryPlaces(root, options.allowedPaths ?? []), name);
}

/** The name is a file (or a link to one), not a model folder. */
class NotAFolder extends Error {
  readonly code = 'ENOTDIR';
}

async function scanModelIn(places: RepositoryPlaces, name: string): Promise<RepositoryModel> {
  const modelPath = path.join(places.root, name);
  const info = await lstat(modelPath);
  if (info.isSymbolicLink()) {
    let real: string;
    try {
      real = await realpath(modelPath);
    } catch {
      throw new ScanRefusal('the model folder is a symbolic link to nothing');
    }
    if (!isAllowedPlace(places, real)) throw new ScanRefusal('the model folder is a symbolic link to a path outside the repository and repository.allowed_paths');
    if (!(await stat(real)).isDirectory()) throw new NotAFolder();
  } else if (!info.isDirectory()) throw new NotAFolder();

  const versions = new Map<number, ModelDir>();
  const versionStamps = new Map<number, string>();
  const versionErrors = new Map<number, string>();
  let configText: string | undefined;
  let labelsText: string | undefined;
  const looseFiles: string[] = [];
  for (const entry of await readdir(modelPath, { withFileTypes: true })) {
    if (entry.name === 'model.yaml' || entry.name === 'model.yml') {
      configText = await readConfig(places, path.join(modelPath, entry.name));
    } else if (entry.name === CLASS_LABELS_FILE) {
      labelsText = await readConfig(places, path.join(modelPath, entry.name));
    } else if ((entry.isDirectory() || entry.isSymbolicLink()) && isVersionFolder(entry.name)) {
      const version = Number(entry.name);
      try {
        const scanned = await scanVersionFolder(places, path.join(modelPath, entry.name));
        versions.set(version, scanned.dir);
        versionStamps.set(version, scanned.stamp);
      } catch (error) {
        versionErrors.set(version, error instanceof ScanRefusal ? error.message : `the version folder could not be scanned: ${describeIoError(error)}`);
      }
    } else if (!entry.name.startsWith('.')) looseFiles.push(entry.name);
  }
  const layoutHint = versions.size === 0 && versionErrors.size === 0 ? modelFolderHint(name, looseFiles) : undefined;
  return {
    name, versions, versionStamps, versionErrors,
    ...(configText === undefined ? {} : { configText }), ...(labelsText === undefined ? {} : { labelsText }), ...(layoutHint === undefined ? {} : { layoutHint }),
  };
}

/** model.yaml and labels.txt may be symbolic links too (a ConfigMap key) when it resolves inside the allowed places. */
async function readConfig(places: RepositoryPlaces, file: string): Promise<string> {
  const real = await realpath(file);
  if (!isAllowedPlace(places, real)) throw new ScanRefusal(`${path.basename(file)} is a symbolic link to a path outside the repository and repository.allowed_paths`);
  return readFile(real, 'utf8');
}

/** An I/O error as a short reason without paths: the code (ENOENT, EACCES, ...) and what it means. */
export function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'ENOENT: it changed while it was scanned; it is scanned again at the next poll';
  return code ? (error as Error).message.split(',')[0]! : (error as Error).message;
}
