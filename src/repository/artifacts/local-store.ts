import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ferryError } from '../../errors/index.ts';
import type { ArtifactEntry, ArtifactListing, ArtifactStore } from './artifact-store.ts';

const MAX_DEPTH = 16;
/** Listing stops here; the fetcher's own limit (registry.artifacts.max_files) is lower. */
export const LIST_LIMIT = 100_000;

/** A `file://` URI or a plain path, as an absolute path. */
export function localPath(uri: string): string {
  return path.resolve(/^file:/i.test(uri) ? fileURLToPath(uri) : uri);
}

/** Artifacts in a local directory (the default store). Symbolic links are refused: an artifact is its own files. */
export class LocalArtifactStore implements ArtifactStore {
  readonly schemes = ['file'] as const;

  async list(uri: string): Promise<ArtifactListing> {
    const root = localPath(uri);
    const info = await lstat(root).catch(() => undefined);
    if (!info) throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: 'no such file or folder' });
    if (info.isSymbolicLink()) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: 'it is a symbolic link' });
    if (info.isFile()) return { single: true, files: [{ path: path.basename(root), size: info.size }] };
    const files: ArtifactEntry[] = [];
    await walk(root, '', 0, files, uri);
    if (files.length === 0) throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: 'the folder has no files' });
    return { single: false, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
  }

  child(folderUri: string, relativePath: string): string {
    return pathToFileURL(path.join(localPath(folderUri), ...relativePath.split('/'))).href;
  }

  async read(fileUri: string): Promise<AsyncIterable<Uint8Array>> {
    const file = localPath(fileUri);
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile()) throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri: fileUri, detail: 'no such file' });
    return createReadStream(file);
  }

  async write(fileUri: string, bytes: Uint8Array): Promise<void> {
    const file = localPath(fileUri);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
}

async function walk(root: string, prefix: string, depth: number, out: ArtifactEntry[], uri: string): Promise<void> {
  for (const entry of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `'${relative}' is a symbolic link` });
    if (entry.isDirectory()) {
      if (depth >= MAX_DEPTH) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `folders nest deeper than ${MAX_DEPTH}` });
      await walk(root, relative, depth + 1, out, uri);
    } else if (entry.isFile()) {
      out.push({ path: relative, size: (await lstat(path.join(root, relative))).size });
      if (out.length > LIST_LIMIT) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `more than ${LIST_LIMIT} files` });
    }
  }
}
