import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInsideAny, outsideReason } from '../runtimes/model-path.ts';
import type { ModelDir } from '../runtimes/runtime.ts';
import { isAllowedPlace, ScanRefusal, type RepositoryPlaces } from './places.ts';

const MAX_FILES_PER_VERSION = 10_000;
const MAX_DEPTH = 4;

export interface ScannedVersion {
  readonly dir: ModelDir;
  /** A stamp of the folder's real path and its files' names, targets, sizes and mtimes: a changed stamp means an edit. */
  readonly stamp: string;
}

/**
 * Lists one version folder. The folder may be a symbolic link (Kubernetes mounts volumes and ConfigMaps through
 * them) when it resolves inside the repository or an allowed path; a file may be one when it resolves inside the
 * folder or an allowed path. Hidden entries (`.git`, a ConfigMap's `..data`) are not model files. Throws a
 * ScanRefusal for a folder that breaks these rules or holds more than 10,000 files; other errors are the file
 * system's (a folder deleted during the scan: ENOENT).
 */
export async function scanVersionFolder(places: RepositoryPlaces, versionPath: string): Promise<ScannedVersion> {
  const info = await lstat(versionPath);
  const real = info.isSymbolicLink() ? await realpath(versionPath) : versionPath;
  if (info.isSymbolicLink()) {
    if (!isAllowedPlace(places, real)) throw new ScanRefusal('the version folder is a symbolic link to a path outside the repository and repository.allowed_paths');
    if (!(await stat(real)).isDirectory()) throw new ScanRefusal('the version folder is a symbolic link to something that is not a folder');
  }
  // Compared by real path: the folder's own may differ from `versionPath` when the repository root is a link.
  const realFolder = await realpath(real);
  const listing = new Listing(realFolder, [realFolder, ...places.allowed]);
  await listing.walk('', 0);
  const files = [...listing.files.keys()].sort();
  const parts = [realFolder];
  for (const file of files) {
    const target = listing.files.get(file)!;
    const s = await stat(target);
    parts.push(`${file}:${target}:${s.size}:${s.mtimeMs}`);
  }
  return { dir: { path: versionPath, files, allowedRoots: places.allowed }, stamp: hash(parts.join('|')) };
}

class Listing {
  readonly files = new Map<string, string>();
  readonly #folder: string;
  readonly #roots: readonly string[];

  constructor(folder: string, roots: readonly string[]) {
    this.#folder = folder;
    this.#roots = roots;
  }

  async walk(prefix: string, depth: number): Promise<void> {
    for (const entry of await readdir(path.join(this.#folder, prefix), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(this.#folder, relative);
      let target = full;
      let isFile = entry.isFile();
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          target = await realpath(full);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ScanRefusal(`${relative} is a symbolic link to nothing`);
          throw error;
        }
        if (!isInsideAny(target, this.#roots)) throw new ScanRefusal(outsideReason(relative));
        const s = await stat(target);
        isFile = s.isFile();
        isDirectory = s.isDirectory();
      }
      if (isFile) {
        if (this.files.size >= MAX_FILES_PER_VERSION) throw new ScanRefusal(`the version folder holds more than ${MAX_FILES_PER_VERSION} files`);
        this.files.set(relative, target);
      } else if (isDirectory && depth < MAX_DEPTH) await this.walk(relative, depth + 1);
    }
  }
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
