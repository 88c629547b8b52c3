import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ferryError } from '../errors/index.ts';
import { artifactDigest, digestLocal, type HashedFile } from '../repository/artifacts/index.ts';
import { checkModelName } from './validate.ts';

const DIGEST = /^sha256:([0-9a-f]{64})$/;
const SEGMENT = /^[^/\\\0]{1,255}$/;

export interface UploadLimits {
  /** registry.artifacts.max_bytes: the most one artifact may hold. */
  readonly maxBytes: number;
  /** registry.artifacts.max_files. */
  readonly maxFiles: number;
}

/** An uploaded artifact, moved under the artifact root and ready to be registered by its path. */
export interface StagedArtifact {
  readonly source: string;
  readonly digest: string;
  readonly files?: readonly HashedFile[];
}

/**
 * Artifacts uploaded file by file through the management API (`ferry registry register --url` from a machine that
 * does not share the server's disk). Files gather under `<root>/.uploads/<hex>/`; registering `upload:sha256:<hex>`
 * checks the files against that digest and moves them to `<root>/<model>/<hex>`, where local registrations go too.
 */
export class ArtifactUploads {
  readonly #root: string;
  readonly #limits: UploadLimits;

  constructor(root: string, limits: UploadLimits) {
    this.#root = root;
    this.#limits = limits;
  }

  /** Streams one file of an upload to disk, refusing it once the artifact would pass its limits. */
  async putFile(digest: string, relativePath: string, body: Readable): Promise<{ readonly bytes: number }> {
    const folder = this.#staging(digest);
    const target = path.join(folder, ...checkPath(relativePath));
    const { files, bytes } = await usage(folder);
    if (files >= this.#limits.maxFiles) {
      body.resume();
      throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', { what: `upload ${digest}: file ${files + 1}`, limit: this.#limits.maxFiles, setting: 'registry.artifacts.max_files' });
    }
    const budget = this.#limits.maxBytes - bytes;
    await mkdir(path.dirname(target), { recursive: true });
    let written = 0;
    try {
      await pipeline(body, async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          written += chunk.length;
          if (written > budget) {
            throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', { what: `upload ${digest}`, limit: `${maxOf(budget)} more bytes`, setting: 'registry.artifacts.max_bytes' });
          }
          yield chunk;
        }
      }, createWriteStream(target));
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    return { bytes: written };
  }

  /**
   * Checks what was uploaded for `digest` — a folder whose manifest has that digest, or one file whose bytes have it —
   * and moves it under the model's artifact folder. A mismatch discards the upload.
   */
  async finish(model: string, digest: string): Promise<StagedArtifact> {
    checkModelName(model);
    const folder = this.#staging(digest);
    if (!(await stat(folder).catch(() => undefined))) {
      throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri: `upload:${digest}`, detail: 'nothing was uploaded for this digest' });
    }
    const { files } = await digestLocal(folder);
    const single = files.length === 1 && artifactDigest(true, files) === digest;
    const actual = single ? digest : artifactDigest(false, files);
    if (actual !== digest) {
      await rm(folder, { recursive: true, force: true });
      throw ferryError('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', { uri: `upload:${digest}`, actual, expected: digest });
    }
    const destination = path.join(this.#root, model, digest.slice('sha256:'.length));
    if (await stat(destination).catch(() => undefined)) {
      await rm(folder, { recursive: true, force: true }); // the same bytes are already there
    } else {
      await mkdir(path.dirname(destination), { recursive: true });
      await rename(folder, destination);
    }
    return single ? { source: path.join(destination, files[0]!.path), digest } : { source: destination, digest, files };
  }

  #staging(digest: string): string {
    const match = DIGEST.exec(digest);
    if (!match) throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `upload digest '${digest.slice(0, 80)}' is not sha256:<64 hex digits>` });
    return path.join(this.#root, '.uploads', match[1]!);
  }
}

/** A file path inside an artifact: relative, '/'-separated, no '.', '..' or empty segments. */
function checkPath(relativePath: string): string[] {
  const segments = relativePath.split('/');
  if (relativePath.length > 1024 || !segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `file path '${relativePath.slice(0, 200)}' leaves the artifact` });
  }
  return segments;
}

/** Files and bytes gathered so far under an upload folder. */
async function usage(folder: string): Promise<{ files: number; bytes: number }> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

const maxOf = (n: number) => Math.max(0, n);
