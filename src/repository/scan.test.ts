import { mkdir, mkdtemp, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeIoError, scanModel, scanRepository } from './file-repository.ts';
import { isAllowedPlace, repositoryPlaces } from './places.ts';
import { scanVersionFolder } from './version-folder.ts';

let base: string;
let root: string;
let elsewhere: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-scan-')));
  root = path.join(base, 'repo');
  elsewhere = path.join(base, 'elsewhere');
  await mkdir(root);
  await mkdir(elsewhere);
});
afterEach(() => rm(base, { recursive: true, force: true }));

async function put(file: string, text = 'x'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

describe('repository scan', () => {
  it('lists model folders with their version folders, model.yaml and labels.txt', async () => {
    await put(path.join(root, 'churn/1/model.onnx'));
    await put(path.join(root, 'churn/10/model.onnx'));
    await put(path.join(root, 'churn/10/sub/vocab.txt'));
    await put(path.join(root, 'churn/model.yaml'), 'runtime: onnx\n');
    await put(path.join(root, 'churn/labels.txt'), 'no\nyes\n');
    await put(path.join(root, 'plain/model.yml'), 'instances: 2\n');
    const scan = await scanRepository(root);
    expect([...scan.models.keys()].sort()).toEqual(['churn', 'plain']);
    const churn = scan.models.get('churn')!;
    expect(churn.configText).toBe('runtime: onnx\n');
    expect(churn.labelsText).toBe('no\nyes\n');
    expect([...churn.versions.keys()].sort((a, b) => a - b)).toEqual([1, 10]);
    expect(churn.versions.get(10)).toEqual({ path: path.join(root, 'churn/10'), files: ['model.onnx', 'sub/vocab.txt'], allowedRoots: [] });
    expect(churn.versionErrors.size).toBe(0);
    const plain = scan.models.get('plain')!;
    expect(plain.configText).toBe('instances: 2\n');
    expect('labelsText' in plain).toBe(false);
    expect(plain.versions.size).toBe(0);
    expect(scan.skipped).toEqual([]);
    expect(scan.unreadable.size).toBe(0);
  });

  it('skips hidden entries, top-level files, bad names and folders that are not versions', async () => {
    await put(path.join(root, '.staging/1/model.onnx'));
    await put(path.join(root, 'README.md'));
    await put(path.join(root, 'bad name/1/model.onnx'));
    await put(path.join(root, 'm/01/model.onnx'));
    await put(path.join(root, 'm/0/model.onnx'));
    await put(path.join(root, 'm/v2/model.onnx'));
    await put(path.join(root, 'm/3'), 'a file named like a version');
    await put(path.join(root, 'm/2/.git/config'));
    await put(path.join(root, 'm/2/model.onnx'));
    await symlink(path.join(root, 'README.md'), path.join(root, 'linked-file'));
    const scan = await scanRepository(root);
    expect([...scan.models.keys()]).toEqual(['m']);
    expect(scan.skipped).toEqual([{ path: 'bad name', reason: 'not a valid model name' }]);
    expect(scan.unreadable.size).toBe(0);
    const m = scan.models.get('m')!;
    expect([...m.versions.keys()]).toEqual([2]);
    expect(m.versions.get(2)!.files).toEqual(['model.onnx']);
    expect(m.versionErrors.size).toBe(0);
    expect('configText' in m).toBe(false);
  });

  it('follows symbolic links into the repository or an allowed path, and refuses others with a reason', async () => {
    await put(path.join(elsewhere, 'vol/1/model.onnx'));
    await put(path.join(elsewhere, 'vol/model.yaml'), 'runtime: onnx\n');
    await put(path.join(root, 'inside/1/model.onnx'));
    await symlink(path.join(elsewhere, 'vol'), path.join(root, 'outside'));
    await symlink(path.join(root, 'inside'), path.join(root, 'alias'));
    await symlink(path.join(base, 'missing'), path.join(root, 'dangling'));
    const refused = await scanRepository(root);
    expect([...refused.models.keys()].sort()).toEqual(['alias', 'inside']);
    expect(refused.skipped).toEqual(expect.arrayContaining([
      { path: 'outside', reason: 'the model folder is a symbolic link to a path outside the repository and repository.allowed_paths' },
      { path: 'dangling', reason: 'the model folder is a symbolic link to nothing' },
    ]));
    expect(refused.skipped).toHaveLength(2);

    const allowed = await scanRepository(root, { allowedPaths: [elsewhere, path.join(base, 'not-there')] });
    const outside = allowed.models.get('outside')!;
    expect(outside.configText).toBe('runtime: onnx\n');
    expect(outside.versions.get(1)).toEqual({ path: path.join(root, 'outside/1'), files: ['model.onnx'], allowedRoots: [elsewhere] });
  });

  it('refuses a model.yaml or labels.txt linked from outside, and keeps other models', async () => {
    await put(path.join(elsewhere, 'secret.yaml'), 'runtime: onnx\n');
    await put(path.join(root, 'm/1/model.onnx'));
    await symlink(path.join(elsewhere, 'secret.yaml'), path.join(root, 'm/model.yaml'));
    await put(path.join(root, 'n/1/model.onnx'));
    await symlink(path.join(elsewhere, 'secret.yaml'), path.join(root, 'n/labels.txt'));
    await put(path.join(root, 'ok/1/model.onnx'));
    const scan = await scanRepository(root);
    expect(scan.skipped).toEqual(expect.arrayContaining([
      { path: 'm', reason: 'model.yaml is a symbolic link to a path outside the repository and repository.allowed_paths' },
      { path: 'n', reason: 'labels.txt is a symbolic link to a path outside the repository and repository.allowed_paths' },
    ]));
    expect([...scan.models.keys()]).toEqual(['ok']);
    expect((await scanModel(root, 'm', { allowedPaths: [elsewhere] })).configText).toBe('runtime: onnx\n');
  });

  it('reports a version folder that breaks the rules as that version’s error, leaving the others', async () => {
    await put(path.join(root, 'm/1/model.onnx'));
    await put(path.join(elsewhere, 'model.onnx'));
    await mkdir(path.join(root, 'm/2'));
    await symlink(path.join(elsewhere, 'model.onnx'), path.join(root, 'm/2/model.onnx'));
    await mkdir(path.join(root, 'm/3'));
    await symlink(path.join(base, 'missing'), path.join(root, 'm/3/model.onnx'));
    await symlink(elsewhere, path.join(root, 'm/4'));
    const m = (await scanRepository(root)).models.get('m')!;
    expect([...m.versions.keys()]).toEqual([1]);
    expect(Object.fromEntries(m.versionErrors)).toEqual({
      2: 'model.onnx is a symbolic link to a path outside the version folder and repository.allowed_paths',
      3: 'model.onnx is a symbolic link to nothing',
      4: 'the version folder is a symbolic link to a path outside the repository and repository.allowed_paths',
    });
  });

  it('scans a repository given by a symbolic link to it', async () => {
    await put(path.join(root, 'm/1/model.onnx'));
    await symlink(root, path.join(base, 'repo-link'));
    const m = (await scanRepository(path.join(base, 'repo-link'))).models.get('m')!;
    expect(m.versionErrors.size).toBe(0);
    expect(m.versions.get(1)).toEqual({ path: path.join(base, 'repo-link/m/1'), files: ['model.onnx'], allowedRoots: [] });
  });

  it('scans one model by the same rules, and fails with ENOENT for a model that is not there, ENOTDIR for a file', async () => {
    await put(path.join(root, 'm/1/model.onnx'));
    expect([...(await scanModel(root, 'm')).versions.keys()]).toEqual([1]);
    await expect(scanModel(root, 'absent')).rejects.toMatchObject({ code: 'ENOENT' });
    await put(path.join(root, 'a-file'));
    await symlink(path.join(root, 'a-file'), path.join(root, 'a-link'));
    await expect(scanModel(root, 'a-file')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(scanModel(root, 'a-link')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('reports a model folder it cannot read as unreadable, not skipped, by the error code', async () => {
    await put(path.join(root, 'ok/1/model.onnx'));
    await mkdir(path.join(root, 'bad/model.yaml'), { recursive: true });
    const scan = await scanRepository(root);
    expect([...scan.models.keys()]).toEqual(['ok']);
    expect(scan.skipped).toEqual([]);
    expect(Object.fromEntries(scan.unreadable)).toEqual({ bad: 'EISDIR: illegal operation on a directory' });
  });

  it('reports a version folder holding a symbolic link loop as not scanned, with the error code', async () => {
    await mkdir(path.join(root, 'm/1'), { recursive: true });
    await symlink('loop', path.join(root, 'm/1/loop'));
    const m = (await scanRepository(root)).models.get('m')!;
    expect(Object.fromEntries(m.versionErrors)).toEqual({ 1: 'the version folder could not be scanned: ELOOP: too many symbolic links encountered' });
  });

  it('refuses a repository root that does not exist, saying how to set it', async () => {
    await expect(scanRepository(path.join(base, 'nope'))).rejects.toThrow(
      `model repository '${path.join(base, 'nope')}' does not exist (set it with 'ferry serve DIR', model_repository or FERRY_MODEL_REPOSITORY)`,
    );
    await put(path.join(base, 'a-file'));
    await expect(repositoryPlaces(path.join(base, 'a-file/below'), [])).rejects.toThrow(/cannot be read \(ENOTDIR/);
  });

  it('describes I/O errors by code and without paths', () => {
    expect(describeIoError(Object.assign(new Error('ENOENT: no such file, open /srv/x'), { code: 'ENOENT' }))).toBe(
      'ENOENT: it changed while it was scanned; it is scanned again at the next poll',
    );
    expect(describeIoError(Object.assign(new Error('EACCES: permission denied, open /srv/x'), { code: 'EACCES' }))).toBe('EACCES: permission denied');
    expect(describeIoError(new Error('plain, with a comma'))).toBe('plain, with a comma');
  });
});

describe('places', () => {
  it('allows the root and the allowed paths that exist, by real path', async () => {
    await symlink(elsewhere, path.join(base, 'link-to-elsewhere'));
    const places = await repositoryPlaces(root, [path.join(base, 'link-to-elsewhere'), path.join(base, 'missing')]);
    expect(places).toEqual({ root, realRoot: root, allowed: [elsewhere] });
    expect(isAllowedPlace(places, path.join(root, 'm/1'))).toBe(true);
    expect(isAllowedPlace(places, path.join(elsewhere, 'x'))).toBe(true);
    expect(isAllowedPlace(places, `${root}-old/m`)).toBe(false);
    expect(isAllowedPlace(places, base)).toBe(false);
  });
});

describe('version folder stamp', () => {
  it('changes when a file is added, grows or is touched, and not otherwise', async () => {
    await put(path.join(root, 'm/1/model.onnx'), 'abc');
    const places = await repositoryPlaces(root, []);
    const folder = path.join(root, 'm/1');
    const first = await scanVersionFolder(places, folder);
    expect(first.stamp).toMatch(/^[0-9a-f]{1,8}$/);
    expect((await scanVersionFolder(places, folder)).stamp).toBe(first.stamp);
    await utimes(path.join(folder, 'model.onnx'), new Date(1_000_000), new Date(1_000_000));
    const touched = (await scanVersionFolder(places, folder)).stamp;
    expect(touched).not.toBe(first.stamp);
    await put(path.join(folder, 'model.onnx'), 'abcd');
    await utimes(path.join(folder, 'model.onnx'), new Date(1_000_000), new Date(1_000_000));
    const grown = (await scanVersionFolder(places, folder)).stamp;
    expect(grown).not.toBe(touched);
    await put(path.join(folder, 'extra.txt'));
    expect((await scanVersionFolder(places, folder)).stamp).not.toBe(grown);
  });

  it('lists files in name order, following links within the folder, to allowed paths, and to version folders inside the repository', async () => {
    const folder = path.join(root, 'm/1');
    const names = ['q', 'b', 'x', 'a', 'm', 'z', 'c', 'k', 'e', 'w'];
    for (const name of names) await put(path.join(folder, name));
    await symlink(path.join(folder, 'a'), path.join(folder, 'alias'));
    await put(path.join(elsewhere, 'weights.bin'));
    await symlink(path.join(elsewhere, 'weights.bin'), path.join(folder, 'weights.bin'));
    const scanned = await scanVersionFolder(await repositoryPlaces(root, [elsewhere]), folder);
    expect(scanned.dir.files).toEqual([...names, 'alias', 'weights.bin'].sort());
    await symlink(folder, path.join(root, 'm/2'));
    const linked = await scanVersionFolder(await repositoryPlaces(root, [elsewhere]), path.join(root, 'm/2'));
    expect(linked.dir).toEqual({ path: path.join(root, 'm/2'), files: scanned.dir.files, allowedRoots: [elsewhere] });
  });

  it('lists files by full path in code point order, not in the order folders are walked', async () => {
    const folder = path.join(root, 'm/1');
    await put(path.join(folder, 'a/x.bin'));
    await put(path.join(folder, 'a-b.txt'));
    const scanned = await scanVersionFolder(await repositoryPlaces(root, []), folder);
    expect(scanned.dir.files).toEqual(['a-b.txt', 'a/x.bin']);
  });

  it('lists files four folders deep and no deeper', async () => {
    const folder = path.join(root, 'm/1');
    await put(path.join(folder, 'a/b/c/d/four.txt'));
    await put(path.join(folder, 'a/b/c/d/e/five.txt'));
    const scanned = await scanVersionFolder(await repositoryPlaces(root, []), folder);
    expect(scanned.dir.files).toEqual(['a/b/c/d/four.txt']);
  });

  it('refuses a version folder linked to a file', async () => {
    await put(path.join(root, 'm/target.txt'));
    await symlink(path.join(root, 'm/target.txt'), path.join(root, 'm/1'));
    await expect(scanVersionFolder(await repositoryPlaces(root, []), path.join(root, 'm/1'))).rejects.toThrow(
      'the version folder is a symbolic link to something that is not a folder',
    );
  });
});
