import { createHash } from 'node:crypto';
import { ferryError } from '../../errors/index.ts';
import type { ArtifactListing } from './artifact-store.ts';

/** One file with its content's SHA-256 (hex). */
export interface HashedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * An artifact's digest, `sha256:<hex>`. One file: the SHA-256 of its bytes (what `sha256sum FILE` prints). A folder:
 * the SHA-256 of its manifest, the lines `<sha256>  <path>\n` sorted by path bytes — what
 * `cd DIR && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum` prints.
 */
export function artifactDigest(single: boolean, files: readonly HashedFile[]): string {
  if (single) {
    if (files.length !== 1) throw ferryError('FERRY_ERR_INTERNAL', { detail: 'a single-file artifact with several files' });
    return `sha256:${files[0]!.sha256}`;
  }
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const manifest = sorted.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

const SEGMENT = /^[^/\\\0]+$/;

/**
 * An artifact's file paths come from outside (a registry record, an S3 listing): each must stay inside the
 * artifact once joined to the cache folder — relative, '/'-separated, without '.', '..' or empty segments.
 */
export function checkArtifactPaths(uri: string, listing: ArtifactListing, limits: { readonly maxFiles: number; readonly maxBytes: number }): void {
  if (listing.files.length > limits.maxFiles) {
    throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `${listing.files.length} files, more than registry.artifacts.max_files (${limits.maxFiles})` });
  }
  let total = 0;
  const seen = new Set<string>();
  for (const file of listing.files) {
    const segments = file.path.split('/');
    const safe = file.path.length <= 1024 && segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
    if (!safe) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `file path '${file.path.slice(0, 200)}' leaves the artifact` });
    if (seen.has(file.path)) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `file '${file.path.slice(0, 200)}' is listed twice` });
    seen.add(file.path);
    if (!Number.isSafeInteger(file.size) || file.size < -1) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `file '${file.path.slice(0, 200)}' has size ${file.size}` });
    total += Math.max(0, file.size);
  }
  if (total > limits.maxBytes) {
    throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `${total} bytes, more than registry.artifacts.max_bytes (${limits.maxBytes})` });
  }
}
