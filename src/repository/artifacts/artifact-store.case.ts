/**
 * The shared conformance suite every ArtifactStore runs (STYLE.md 4), with the fetcher on top of it: call
 * `runArtifactStoreConformance({ name, store, seed, listsFolders })` from the store's own test file.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../errors/index.ts';
import { ArtifactFetcher } from './artifact-fetcher.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { SourceAllowList } from './allow-list.ts';

export interface ArtifactStoreConformanceOptions {
  readonly name: string;
  readonly store: () => ArtifactStore;
  /** Puts `files` under a fresh folder and returns the folder's URI (no trailing slash). */
  seed(files: Readonly<Record<string, Uint8Array>>): Promise<string>;
  /** Whether list() enumerates a folder (HTTP cannot: the registry records the files). */
  readonly listsFolders: boolean;
  /** Allow-list entries covering every URI seed() returns. */
  readonly allow: readonly string[];
}

const text = (s: string) => new TextEncoder().encode(s);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that are not all one value, so a reordered or truncated copy differs. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isFerryError(error) ? error.code : `not a FerryError: ${(error as Error).message}`;
  }
  return 'no error';
}

export function runArtifactStoreConformance(options: ArtifactStoreConformanceOptions): void {
  describe(`ArtifactStore conformance: ${options.name}`, () => {
    const files: Record<string, Uint8Array> = {
      'model.onnx': pattern(3 * 1024 * 1024 + 17, 1),
      'MLmodel': text('flavors:\n  onnx: {}\n'),
      'sub dir/é ü.json': text('{"a": 1}'),
      'deep/a/b/c.bin': pattern(1000, 2),
      'empty.txt': new Uint8Array(0),
    };
    const names = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const cleanup: string[] = [];
    afterAll(async () => {
      for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
    });
    const newFetcher = async (maxBytes = 1 << 30) => {
      const cacheDir = await mkdtemp(path.join(tmpdir(), 'ferry-artifacts-'));
      cleanup.push(cacheDir);
      return { cacheDir, fetcher: new ArtifactFetcher({ stores: [options.store()], allow: new SourceAllowList(options.allow), cacheDir, maxBytes, maxFiles: 100 }) };
    };
    const recorded = () => names.map((p) => ({ path: p, size: files[p]!.byteLength, sha256: sha(files[p]!) }));

    it('reads every file byte for byte through child URIs', async () => {
      const store = options.store();
      const folder = await options.seed(files);
      for (const name of names) expect(sha(await collect(await store.read(store.child(folder, name))))).toBe(sha(files[name]!));
    });

    it(options.listsFolders ? 'lists a folder\'s files with their sizes, sorted by path bytes' : 'refuses to list a folder, saying the files must be recorded', async () => {
      const folder = await options.seed(files);
      if (!options.listsFolders) {
        expect(await codeOf(options.store().list(`${folder}/`))).toBe('FERRY_ERR_ARTIFACT_NOT_FOUND');
        return;
      }
      const listing = await options.store().list(folder);
      expect(listing.single).toBe(false);
      expect(listing.files).toEqual(names.map((p) => ({ path: p, size: files[p]!.byteLength })));
      expect(await options.store().list(`${folder}/`)).toEqual(listing);
    });

    it('lists one file as a single-file artifact under its name', async () => {
      const folder = await options.seed({ 'weights.bin': pattern(100, 3) });
      const store = options.store();
      const listing = await store.list(store.child(folder, 'weights.bin'));
      expect(listing).toEqual({ single: true, files: [{ path: 'weights.bin', size: 100 }] });
    });

    it('answers FERRY_ERR_ARTIFACT_NOT_FOUND for a file or folder that is not there', async () => {
      const store = options.store();
      const folder = await options.seed({ 'a.txt': text('a') });
      expect(await codeOf(store.read(store.child(folder, 'missing.bin')).then(collect))).toBe('FERRY_ERR_ARTIFACT_NOT_FOUND');
      expect(await codeOf(store.list(store.child(folder, 'missing.bin')))).toBe('FERRY_ERR_ARTIFACT_NOT_FOUND');
    });

    it('fetches into the cache under the recorded digest, then serves it from there', async () => {
      const { fetcher, cacheDir } = await newFetcher();
      const folder = await options.seed(files);
      const first = await fetcher.fetch({ source: folder, files: recorded() });
      expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(first.cached).toBe(false);
      expect(first.path).toBe(path.join(cacheDir, 'sha256', first.digest.slice(7)));
      expect(first.files).toEqual([...names].sort());
      for (const name of names) expect(sha(new Uint8Array(await readFile(path.join(first.path, ...name.split('/')))))).toBe(sha(files[name]!));
      const again = await fetcher.fetch({ source: folder, digest: first.digest, files: recorded() });
      expect(again).toMatchObject({ path: first.path, digest: first.digest, cached: true });
      expect(await readdir(path.join(cacheDir, 'tmp'))).toEqual([]);
    });

    it('refuses an artifact whose bytes differ from the recorded digest, and caches nothing', async () => {
      const { fetcher, cacheDir } = await newFetcher();
      const folder = await options.seed(files);
      const wrong = `sha256:${'0'.repeat(64)}`;
      const error = await fetcher.fetch({ source: folder, digest: wrong, files: recorded() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FERRY_ERR_ARTIFACT_DIGEST_MISMATCH', http: 422 });
      expect((error as Error).message).toContain(`the registry recorded ${wrong}`);
      expect(await readdir(path.join(cacheDir, 'sha256')).catch(() => [])).toEqual([]);
      expect(await readdir(path.join(cacheDir, 'tmp'))).toEqual([]);
    });

    it('refuses a file whose recorded hash differs even when the folder digest was not recorded', async () => {
      const { fetcher } = await newFetcher();
      const folder = await options.seed(files);
      const tampered = recorded().map((f) => (f.path === 'MLmodel' ? { ...f, sha256: 'f'.repeat(64) } : f));
      expect(await codeOf(fetcher.fetch({ source: folder, files: tampered }))).toBe('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH');
    });

    it('refuses sources outside the allow-list and paths that leave the artifact', async () => {
      const { fetcher } = await newFetcher();
      const folder = await options.seed({ 'a.txt': text('a') });
      const denied = new ArtifactFetcher({ stores: [options.store()], allow: new SourceAllowList([]), cacheDir: tmpdir(), maxBytes: 1 << 20, maxFiles: 10 });
      expect(await codeOf(denied.fetch({ source: folder }))).toBe('FERRY_ERR_ARTIFACT_SOURCE_DENIED');
      for (const bad of ['../escape.txt', 'a/../../x', '/abs', 'a//b', './a.txt', 'a\\b']) {
        expect(await codeOf(fetcher.fetch({ source: folder, files: [{ path: bad, size: 1 }] }))).toBe('FERRY_ERR_ARTIFACT_SOURCE_DENIED');
      }
    });

    it('refuses an artifact larger than the byte limit before and while reading it', async () => {
      const folder = await options.seed({ 'big.bin': pattern(5000, 4) });
      const { fetcher } = await newFetcher(4999);
      expect(await codeOf(fetcher.fetch({ source: folder, files: [{ path: 'big.bin', size: 5000 }] }))).toBe('FERRY_ERR_ARTIFACT_SOURCE_DENIED');
      const { fetcher: exact } = await newFetcher(5000);
      expect((await exact.fetch({ source: folder, files: [{ path: 'big.bin', size: 5000 }] })).files).toEqual(['big.bin']);
      // A listing that understates the size: the download stops at the stated size.
      const { fetcher: lied } = await newFetcher();
      expect(await codeOf(lied.fetch({ source: folder, files: [{ path: 'big.bin', size: 10 }] }))).toBe('FERRY_ERR_ARTIFACT_DIGEST_MISMATCH');
    });

    it('shares one download between concurrent requests for the same digest', async () => {
      const { fetcher } = await newFetcher();
      const folder = await options.seed(files);
      const first = await fetcher.fetch({ source: folder, files: recorded() });
      const { fetcher: fresh } = await newFetcher();
      const both = await Promise.all([1, 2, 3].map(() => fresh.fetch({ source: folder, digest: first.digest, files: recorded() })));
      expect(new Set(both.map((b) => b.path)).size).toBe(1);
      expect(both.every((b) => b.digest === first.digest && !b.cached)).toBe(true);
    });
  });
}
