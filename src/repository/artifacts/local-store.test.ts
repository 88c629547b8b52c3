import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runArtifactStoreConformance } from './artifact-store.case.ts';
import { digestLocal } from './digest-local.ts';
import { LocalArtifactStore } from './local-store.ts';
import { SourceAllowList } from './allow-list.ts';

const root = mkdtempSync(path.join(tmpdir(), 'ferry-local-artifacts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function seedFolder(files: Readonly<Record<string, Uint8Array>>): string {
  const folder = path.join(root, `a${n++}`);
  for (const [name, bytes] of Object.entries(files)) {
    const file = path.join(folder, ...name.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  return folder;
}

runArtifactStoreConformance({
  name: 'local directory (file:// URIs)',
  store: () => new LocalArtifactStore(),
  seed: async (files) => pathToFileURL(seedFolder(files)).href,
  listsFolders: true,
  allow: [root],
});

runArtifactStoreConformance({
  name: 'local directory (plain paths)',
  store: () => new LocalArtifactStore(),
  seed: async (files) => seedFolder(files),
  listsFolders: true,
  allow: [pathToFileURL(root).href],
});

describe('artifact digests', () => {
  it('equal what sha256sum prints for a file and for a folder manifest', async () => {
    const folder = seedFolder({ 'b.bin': Uint8Array.of(1, 2, 3), 'a/x y.txt': new TextEncoder().encode('hello\n'), 'B.txt': new Uint8Array(0), 'é.txt': Uint8Array.of(9) });
    const shell = (command: string) => execFileSync('bash', ['-c', command], { cwd: folder, encoding: 'utf8' }).split(' ')[0];
    const folderDigest = shell("find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum");
    expect((await digestLocal(folder)).digest).toBe(`sha256:${folderDigest}`);
    const file = await digestLocal(path.join(folder, 'b.bin'));
    expect(file).toMatchObject({ single: true, digest: `sha256:${shell('sha256sum b.bin')}`, files: [{ path: 'b.bin', size: 3 }] });
  });

  it('refuses symbolic links inside an artifact', async () => {
    const folder = seedFolder({ 'model.onnx': Uint8Array.of(1) });
    symlinkSync('/etc/passwd', path.join(folder, 'passwd'));
    await expect(new LocalArtifactStore().list(folder)).rejects.toMatchObject({ code: 'FERRY_ERR_ARTIFACT_SOURCE_DENIED' });
  });
});

describe('source allow-list', () => {
  it('covers what is below an entry, never a sibling with the same prefix or an escape with ..', () => {
    const allow = new SourceAllowList(['/srv/models', 's3://bucket/models/', 'https://models.example.com/ferry']);
    expect(allow.allows('/srv/models/fraud/1')).toBe(true);
    expect(allow.allows('file:///srv/models/fraud')).toBe(true);
    expect(allow.allows('/srv/models')).toBe(true);
    expect(allow.allows('/srv/models-old/x')).toBe(false);
    expect(allow.allows('/srv/models/../secrets')).toBe(false);
    expect(allow.allows('s3://bucket/models/fraud/1/')).toBe(true);
    expect(allow.allows('s3://bucket/models/../private/x')).toBe(false);
    expect(allow.allows('s3://bucket/modelsX/a')).toBe(false);
    expect(allow.allows('s3://other/models/a')).toBe(false);
    expect(allow.allows('https://models.example.com/ferry/m.onnx')).toBe(true);
    expect(allow.allows('https://models.example.com/ferryX/m.onnx')).toBe(false);
    expect(allow.allows('https://models.example.com.evil.test/ferry/m.onnx')).toBe(false);
    expect(allow.allows('http://models.example.com/ferry/m.onnx')).toBe(false);
    expect(new SourceAllowList([]).allows('/srv/models/x')).toBe(false);
  });
});
