import { lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../errors/index.ts';
import { isVersionFolder } from './model-name.ts';

const MAX_FILES = 10_000;
const MAX_DEPTH = 5;

/** Files uploaded with a repository load: `<version>/<path>` → contents. */
export type UploadedFiles = ReadonlyMap<string, Uint8Array>;

/** Uploaded version folders in place in the repository; what they replaced is kept until settled. */
export interface PlacedUpload {
  readonly versions: readonly number[];
  /** Puts back what the upload replaced (a load that failed). */
  rollback(): Promise<void>;
  /** Drops what the upload replaced (a load that succeeded). */
  settle(): Promise<void>;
}

/**
 * Checks uploaded files and places them in the repository as version folders of `model`, each replacing the
 * folder of the same version whole. Paths are `<version>/<relative path>`: a version folder name, then segments
 * that are not empty, `.`/`..` or hidden, without backslashes or NUL. The files are written under a hidden staging
 * folder in the repository root (skipped by scans) and moved in by rename, so a scan never sees half an upload.
 */
export async function placeUpload(root: string, model: string, files: UploadedFiles, maxBytes: number): Promise<PlacedUpload> {
  const refuse = (detail: string) => ferryError('FERRY_ERR_UPLOAD_INVALID', { model, detail });
  if (files.size === 0) throw refuse('no files');
  if (files.size > MAX_FILES) throw refuse(`${files.size} files, more than ${MAX_FILES}`);
  let total = 0;
  const versions = new Set<string>();
  for (const [name, bytes] of files) {
    const segments = name.split('/');
    if (!isVersionFolder(segments[0]!)) throw refuse(`'${name.slice(0, 100)}' does not start with a version folder (a number from 1)`);
    if (segments.length < 2) throw refuse(`'${name.slice(0, 100)}' names a version folder, not a file in it`);
    if (segments.length > MAX_DEPTH + 1) throw refuse(`'${name.slice(0, 100)}' is nested deeper than ${MAX_DEPTH} folders`);
    for (const segment of segments.slice(1)) {
      if (segment === '' || segment === '.' || segment === '..' || segment.startsWith('.') || /[\\\0]/.test(segment)) {
        throw refuse(`'${name.slice(0, 100)}' is not a relative path of plain names`);
      }
    }
    versions.add(segments[0]!);
    total += bytes.byteLength;
  }
  if (total > maxBytes) throw ferryError('FERRY_ERR_UPLOAD_TOO_LARGE', { model, size: total, limit: maxBytes });

  const modelDir = path.join(root, model);
  const existing = await lstat(modelDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) throw refuse('the model folder is a symbolic link or a file; uploads go into folders of the repository itself');
  const stage = await mkdtemp(path.join(root, '.upload-'));
  try {
    for (const [name, bytes] of files) {
      const target = path.join(stage, 'new', ...name.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, bytes);
    }
    await mkdir(modelDir, { recursive: true });
  } catch (error) {
    await rm(stage, { recursive: true, force: true });
    throw error;
  }
  const replaced: string[] = [];
  const placed: string[] = [];
  for (const version of versions) {
    const current = path.join(modelDir, version);
    if (await lstat(current).catch(() => undefined)) {
      await mkdir(path.join(stage, 'old'), { recursive: true });
      await rename(current, path.join(stage, 'old', version));
      replaced.push(version);
    }
    await rename(path.join(stage, 'new', version), current);
    placed.push(version);
  }
  return {
    versions: [...versions].map(Number).sort((a, b) => a - b),
    async rollback() {
      await mkdir(path.join(stage, 'failed'), { recursive: true });
      for (const version of placed) await rename(path.join(modelDir, version), path.join(stage, 'failed', version));
      for (const version of replaced) await rename(path.join(stage, 'old', version), path.join(modelDir, version));
      if (existing === undefined) await rm(modelDir, { recursive: true, force: true });
      await rm(stage, { recursive: true, force: true });
    },
    settle: () => rm(stage, { recursive: true, force: true }),
  };
}
