import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder, type StaticServer } from '../../../test/helpers/static-http.ts';
import { ArtifactFetcher } from './artifact-fetcher.ts';
import { runArtifactStoreConformance } from './artifact-store.case.ts';
import { SourceAllowList } from './allow-list.ts';
import { HttpArtifactStore } from './http-store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'ferry-http-artifacts-'));
let server: StaticServer;
let other: StaticServer;
beforeAll(async () => {
  server = await serveFolder(root);
  other = await serveFolder(root);
});
afterAll(async () => {
  await server.close();
  await other.close();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

runArtifactStoreConformance({
  name: 'HTTP',
  store: () => new HttpArtifactStore(),
  async seed(files) {
    const name = `a${n++}`;
    for (const [file, bytes] of Object.entries(files)) {
      const target = path.join(root, name, ...file.split('/'));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    return `${server.url}/${name}`;
  },
  listsFolders: false,
  get allow() {
    return [`${server.url}/`];
  },
});

describe('HTTP artifact store', () => {
  it('follows a redirect only to an allowed URL', async () => {
    mkdirSync(path.join(root, 'r'), { recursive: true });
    writeFileSync(path.join(root, 'r', 'm.bin'), 'model');
    server.redirects.set('/moved/m.bin', `${server.url}/r/m.bin`);
    server.redirects.set('/away/m.bin', `${other.url}/r/m.bin`);
    const allow = new SourceAllowList([`${server.url}/`]);
    const store = new HttpArtifactStore({ mayFollow: (url) => allow.allows(url) });
    const fetcher = new ArtifactFetcher({ stores: [store], allow, cacheDir: path.join(root, 'cache'), maxBytes: 1 << 20, maxFiles: 10 });
    expect((await fetcher.fetch({ source: `${server.url}/moved/m.bin` })).files).toEqual(['m.bin']);
    await expect(fetcher.fetch({ source: `${server.url}/away/m.bin` })).rejects.toMatchObject({ code: 'FERRY_ERR_ARTIFACT_SOURCE_DENIED' });
    expect(other.requests).toEqual([]);
  });

  it('sends the headers it is given (a tracking server token)', async () => {
    const seen: string[] = [];
    const store = new HttpArtifactStore({ headersFor: (url) => (seen.push(url), { authorization: 'Bearer t' }) });
    await store.list(`${server.url}/r/m.bin`);
    expect(seen).toEqual([`${server.url}/r/m.bin`]);
  });

  it('cannot list a folder, and says to record the files', async () => {
    await expect(new HttpArtifactStore().list(`${server.url}/r/`)).rejects.toThrow(/register the version with its file list/);
  });
});
