/** One file of an artifact: its path relative to the artifact ('/'-separated) and its size in bytes (-1: unknown). */
export interface ArtifactEntry {
  readonly path: string;
  readonly size: number;
}

/** What a URI names: a folder of files, or one file (`single`, listed under its base name). */
export interface ArtifactListing {
  readonly single: boolean;
  readonly files: readonly ArtifactEntry[];
}

/**
 * Where artifacts are kept: a local directory, S3-compatible object storage, an HTTP(S) server. Stores only move
 * bytes; the fetcher checks paths, sizes and digests. `src/repository/artifacts/artifact-store.case.ts` is the
 * conformance suite every store runs.
 */
export interface ArtifactStore {
  /** URI schemes this store reads: 'file', 's3', 'http', 'https'. */
  readonly schemes: readonly string[];
  /** The files under a folder URI, or the one file a file URI names. FERRY_ERR_ARTIFACT_NOT_FOUND when neither. */
  list(uri: string, signal?: AbortSignal): Promise<ArtifactListing>;
  /** The URI of a file inside a folder URI. */
  child(folderUri: string, relativePath: string): string;
  /** The bytes of one file, streamed. FERRY_ERR_ARTIFACT_NOT_FOUND when it is missing. */
  read(fileUri: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Stores one file (registration uploads); stores that cannot write throw FERRY_ERR_ARTIFACT_SOURCE_DENIED. */
  write(fileUri: string, bytes: Uint8Array): Promise<void>;
}

/** The scheme of a URI ('file' for plain paths). */
export function schemeOf(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  return match ? match[1]!.toLowerCase() : 'file';
}

/** Joins a folder URI and a relative '/'-separated path, encoding each segment for URLs. */
export function joinUrl(folderUri: string, relativePath: string): string {
  return `${folderUri.replace(/\/+$/, '')}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}
