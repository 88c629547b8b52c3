import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { placeUpload, type UploadedFiles } from './upload.ts';

let base: string;
let root: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'ferry-upload-')));
  root = path.join(base, 'repo');
  await mkdir(root);
});
afterEach(() => rm(base, { recursive: true, force: true }));

const bytes = (text: string) => new TextEncoder().encode(text);
const files = (entries: Record<string, string>): UploadedFiles => new Map(Object.entries(entries).map(([name, text]) => [name, bytes(text)]));
const read = (...segments: string[]) => readFile(path.join(root, ...segments), 'utf8');
const exists = (...segments: string[]) => lstat(path.join(root, ...segments)).then(() => true, () => false);

describe('placing uploaded version folders', () => {
  it('places each version folder whole, and leaves no staging folder once settled', async () => {
    const placed = await placeUpload(root, 'm', files({ '10/sub/vocab.txt': 'ten', '2/model.onnx': 'two', '10/model.onnx': 'ten' }), 1_000);
    expect(placed.versions).toEqual([2, 10]);
    expect(await read('m/2/model.onnx')).toBe('two');
    expect(await read('m/10/sub/vocab.txt')).toBe('ten');
    expect((await readdir(root)).filter((n) => n.startsWith('.upload-'))).toHaveLength(1);
    await placed.settle();
    expect(await readdir(root)).toEqual(['m']);
  });

  it('replaces a version of the same number whole, and puts it back on rollback', async () => {
    await mkdir(path.join(root, 'm/1'), { recursive: true });
    await writeFile(path.join(root, 'm/1/model.onnx'), 'old');
    await writeFile(path.join(root, 'm/1/old-only.txt'), 'old');
    await mkdir(path.join(root, 'm/3'));
    await writeFile(path.join(root, 'm/3/model.onnx'), 'three');
    const placed = await placeUpload(root, 'm', files({ '1/model.onnx': 'new', '2/model.onnx': 'two', '3/model.onnx': 'new three' }), 1_000);
    expect(await read('m/1/model.onnx')).toBe('new');
    expect(await read('m/3/model.onnx')).toBe('new three');
    expect(await exists('m/1/old-only.txt')).toBe(false);
    await placed.rollback();
    expect(await read('m/1/model.onnx')).toBe('old');
    expect(await read('m/1/old-only.txt')).toBe('old');
    expect(await exists('m/2')).toBe(false);
    expect(await read('m/3/model.onnx')).toBe('three');
    expect(await readdir(root)).toEqual(['m']);
  });

  it('removes a model folder the upload created when it rolls back', async () => {
    const placed = await placeUpload(root, 'fresh', files({ '1/model.onnx': 'x' }), 1_000);
    expect(await exists('fresh/1/model.onnx')).toBe(true);
    await placed.rollback();
    expect(await readdir(root)).toEqual([]);
  });

  it('accepts a total size equal to the limit and refuses one byte more', async () => {
    await expect(placeUpload(root, 'm', files({ '1/a': '12345', '1/b': '12345' }), 10)).resolves.toMatchObject({ versions: [1] });
    await expect(placeUpload(root, 'n', files({ '1/a': '12345', '1/b': '123456' }), 10)).rejects.toThrow(
      "upload of model 'n' is 11 bytes, more than the limit of 10 bytes",
    );
    expect(await exists('n')).toBe(false);
  });

  it('refuses paths that are not a version folder then plain names, before writing anything', async () => {
    const plain = 'is not a relative path of plain names';
    const refusals: [string, string][] = [
      ['model.onnx', 'does not start with a version folder (a number from 1)'],
      ['0/model.onnx', 'does not start with a version folder (a number from 1)'],
      ['01/model.onnx', 'does not start with a version folder (a number from 1)'],
      ['1', 'names a version folder, not a file in it'],
      ['1/a/b/c/d/e/f', 'is nested deeper than 5 folders'],
      ['1//model.onnx', plain],
      ['1/./model.onnx', plain],
      ['1/../2/model.onnx', plain],
      ['1/.hidden', plain],
      ['1/a\\b', plain],
      ['1/a\0b', plain],
    ];
    for (const [name, reason] of refusals) {
      const refused = placeUpload(root, 'm', files({ '1/ok.txt': 'x', [name]: 'x' }), 1_000);
      await expect(refused, name).rejects.toMatchObject({ code: 'FERRY_ERR_UPLOAD_INVALID' });
      await expect(placeUpload(root, 'm', files({ [name]: 'x' }), 1_000)).rejects.toThrow(`upload of model 'm' refused: '${name}' ${reason}`);
    }
    await expect(placeUpload(root, 'm', files({ '1/a/b/c/d/e': 'x' }), 1_000)).resolves.toMatchObject({ versions: [1] });
    expect(await readdir(root)).toContain('m');
  });

  it('refuses an empty upload, and shortens a long path in the reason', async () => {
    await expect(placeUpload(root, 'm', new Map(), 1_000)).rejects.toThrow("upload of model 'm' refused: no files");
    const long = `x${'y'.repeat(200)}/model.onnx`;
    await expect(placeUpload(root, 'm', files({ [long]: 'x' }), 1_000)).rejects.toThrow(`'${long.slice(0, 100)}' does not start`);
    expect(await readdir(root)).toEqual([]);
  });

  it('shortens long paths to 100 characters in every reason', async () => {
    const deep = `1/${'d'.repeat(120)}/b/c/d/e/f`;
    await expect(placeUpload(root, 'm', files({ [deep]: 'x' }), 1_000)).rejects.toThrow(`'${deep.slice(0, 100)}' is nested deeper than 5 folders`);
    const hidden = `1/${'d'.repeat(120)}/.hidden`;
    await expect(placeUpload(root, 'm', files({ [hidden]: 'x' }), 1_000)).rejects.toThrow(`'${hidden.slice(0, 100)}' is not a relative path of plain names`);
  });

  it('removes its staging folder when a file cannot be written', async () => {
    await expect(placeUpload(root, 'm', files({ [`1/${'n'.repeat(300)}`]: 'x' }), 1_000)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    expect(await readdir(root)).toEqual([]);
  });

  it('allows 10,000 files and refuses more', async () => {
    const tenThousand = new Map<string, Uint8Array>();
    for (let i = 0; i < 10_000; i++) tenThousand.set(`1/f${i}`, new Uint8Array(1));
    // Refused for its size, after the count was accepted: nothing is written.
    await expect(placeUpload(root, 'm', tenThousand, 0)).rejects.toMatchObject({ code: 'FERRY_ERR_UPLOAD_TOO_LARGE' });
  });

  it('refuses more than 10,000 files', async () => {
    const many = new Map<string, Uint8Array>();
    for (let i = 0; i < 10_001; i++) many.set(`1/f${i}`, new Uint8Array(0));
    await expect(placeUpload(root, 'm', many, 1_000)).rejects.toThrow("upload of model 'm' refused: 10001 files, more than 10000");
    many.delete('1/f0');
    const placed = await placeUpload(root, 'm', new Map([...many].slice(0, 3)), 1_000);
    expect(placed.versions).toEqual([1]);
  });

  it('refuses to upload into a model folder that is a symbolic link or a file', async () => {
    await mkdir(path.join(base, 'elsewhere'));
    await symlink(path.join(base, 'elsewhere'), path.join(root, 'linked'));
    await writeFile(path.join(root, 'file'), 'x');
    for (const model of ['linked', 'file']) {
      await expect(placeUpload(root, model, files({ '1/model.onnx': 'x' }), 1_000)).rejects.toThrow(
        'the model folder is a symbolic link or a file; uploads go into folders of the repository itself',
      );
    }
    expect(await readdir(path.join(base, 'elsewhere'))).toEqual([]);
    expect((await readdir(root)).sort()).toEqual(['file', 'linked']);
  });
});
