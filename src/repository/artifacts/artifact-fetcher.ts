import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ferryError, isFerryError } from '../../errors/index.ts';
import { artifactDigest, checkArtifactPaths, type HashedFile } from './artifact-digest.ts';
import { schemeOf, type ArtifactListing, type ArtifactStore } from './artifact-store.ts';
import type { SourceAllowList } from './allow-list.ts';
import { LocalArtifactStore } from './local-store.ts';

export interface FetcherOptions {
  readonly stores: readonly ArtifactStore[];
  readonly allow: SourceAllowList;
  /** Fetched artifacts live under `<cacheDir>/sha256/<hex>/`. */
  readonly cacheDir: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export interface ArtifactRequest {
  readonly source: string;
  /** The digest the registry recorded; undefined to learn it (registration of a version without one). */
  readonly digest?: string | undefined;
  /** The files the registry recorded, used instead of listing (HTTP cannot list). */
  readonly files?: readonly { readonly path: string; readonly size: number; readonly sha256?: string }[] | undefined;
}

export interface FetchedArtifact {
  /** The local folder holding the artifact's files. */
  readonly path: string;
  readonly files: readonly string[];
  readonly digest: string;
  /** Whether the artifact was already in the cache. */
  readonly cached: boolean;
  /** For a download: whether the source is one file, and each file's digest (what registration records). */
  readonly download?: { readonly single: boolean; readonly hashed: readonly HashedFile[] };
}

/**
 * Brings artifacts to local disk: checks the source against the allow-list, lists its files (or takes the
 * registry's list), streams each into a private folder while hashing it, compares the digest with the recorded
 * one, and only then moves the folder into the cache under its digest. A mismatch leaves nothing behind.
 * Concurrent requests for one digest share one download.
 */
export class ArtifactFetcher {
  readonly #options: FetcherOptions;
  readonly #inFlight = new Map<string, Promise<FetchedArtifact>>();
  readonly #local = new LocalArtifactStore();

  constructor(options: FetcherOptions) {
    this.#options = options;
  }

  storeFor(uri: string): ArtifactStore {
    const scheme = schemeOf(uri);
    const store = this.#options.stores.find((s) => s.schemes.includes(scheme));
    if (!store) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `no artifact store reads '${scheme}:' URIs` });
    return store;
  }

  /** Throws FERRY_ERR_ARTIFACT_SOURCE_DENIED unless the source is allowed and some store reads it. */
  checkSource(uri: string): void {
    this.#options.allow.check(uri);
    this.storeFor(uri);
  }

  fetch(request: ArtifactRequest, signal?: AbortSignal): Promise<FetchedArtifact> {
    const key = request.digest ?? `source:${request.source}`;
    let running = this.#inFlight.get(key);
    if (!running) {
      running = this.#fetch(request, signal).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, running);
    }
    return running;
  }

  async #fetch(request: ArtifactRequest, signal?: AbortSignal): Promise<FetchedArtifact> {
    const { source } = request;
    this.#options.allow.check(source);
    const store = this.storeFor(source);
    if (request.digest !== undefined) {
      const hit = await this.#cached(request.digest);
      if (hit) return hit;
    }
    const listing: ArtifactListing = request.files && request.files.length > 0
      ? { single: false, files: request.files.map((f) => ({ path: f.path, size: f.size })) }
      : await store.list(source, signal);
    checkArtifactPaths(source, listing, this.#options);

    const tmp = path.join(this.#options.cacheDir, 'tmp', randomBytes(8).toString('hex'));
    await mkdir(tmp, { recursive: true });
    try {
      const hashed: HashedFile[] = [];
      for (const file of listing.files) {
        const uri = listing.single ? source : store.child(source, file.path);
        const target = path.join(tmp, ...file.path.split('/'));
        await mkdir(path.dirname(target), { recursive: true });
        hashed.push({ path: file.path, size: file.size, sha256: await this.#download(store, uri, target, file.size, signal) });
      }
      const digest = artifactDigest(listing.single, hashed);
      if (request.digest !== undefined && digest !== request.digest) {
        throw ferryError('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', { uri: source, actual: digest, expected: request.digest });
      }
      for (const recorded of request.files ?? []) {
        const got = hashed.find((h) => h.path === recorded.path);
        if (recorded.sha256 && got && got.sha256 !== recorded.sha256) {
          throw ferryError('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', { uri: `${source} (${recorded.path})`, actual: `sha256:${got.sha256}`, expected: `sha256:${recorded.sha256}` });
        }
      }
      const final = this.#cachePath(digest);
      await mkdir(path.dirname(final), { recursive: true });
      try {
        await rename(tmp, final);
      } catch (error) {
        // Another process cached the same digest first: its copy is as good as ours.
        if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        await rm(tmp, { recursive: true, force: true });
      }
      return { path: final, files: hashed.map((h) => h.path).sort(), digest, cached: false, download: { single: listing.single, hashed } };
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  async #cached(digest: string): Promise<FetchedArtifact | undefined> {
    const folder = this.#cachePath(digest);
    if (!(await stat(folder).catch(() => undefined))?.isDirectory()) return undefined;
    const listing = await this.#local.list(folder);
    return { path: folder, files: listing.files.map((f) => f.path), digest, cached: true };
  }

  #cachePath(digest: string): string {
    const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
    if (!match) throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `digest '${digest.slice(0, 80)}' must be sha256:<64 hex digits>` });
    return path.join(this.#options.cacheDir, 'sha256', match[1]!);
  }

  /** Streams one file to disk, hashing as it goes; refuses more bytes than the listing said or the limit allows. */
  async #download(store: ArtifactStore, uri: string, target: string, expectedSize: number, signal?: AbortSignal): Promise<string> {
    const hash = createHash('sha256');
    let seen = 0;
    // A size of -1 is unknown (an HTTP answer without Content-Length): then only the limit bounds it.
    const limit = expectedSize >= 0 ? Math.min(this.#options.maxBytes, expectedSize) : this.#options.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        if (seen > limit) {
          done(ferryError('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', { uri, actual: `more than ${limit} bytes`, expected: `${expectedSize} bytes` }));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(await store.read(uri, signal), meter, createWriteStream(target), ...(signal ? [{ signal }] : []));
    } catch (error) {
      if (isFerryError(error)) throw error;
      throw ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri, detail: (error as Error).message }, error);
    }
    if (expectedSize >= 0 && seen !== expectedSize) {
      throw ferryError('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', { uri, actual: `${seen} bytes`, expected: `${expectedSize} bytes` });
    }
    return hash.digest('hex');
  }
}
