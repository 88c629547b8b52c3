/**
 * Paths and symbolic links in a model repository, through a real server: one rule for the scan and for an explicit
 * load. Folders may be links that resolve inside the repository or inside repository.allowed_paths (Kubernetes
 * mounts volumes and ConfigMaps through links); anything else is left out with a log line and a reason in the
 * repository index, and failure reasons name files relative to the repository.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, loadConfig } from '../src/index.ts';
import { EXAMPLE_MODELS, getJson, postJson } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

interface Started {
  url: string;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-paths-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A real server over `root`, its log lines collected. */
async function serve(root: string, repository: Record<string, unknown> = {}, pollSeconds = 0): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({
    env: {},
    overrides: { model_repository: root, poll_seconds: pollSeconds, log_level: 'info', http: { port: 0 }, grpc: { enabled: false }, auth: { allow_loopback_without_token: true }, ...(Object.keys(repository).length > 0 ? { repository } : {}) },
  });
  const server = createServer({ config, logger: pino({ level: 'info' }, sink) });
  const { httpPort } = await server.start();
  const started = { url: `http://127.0.0.1:${httpPort}`, logs, stop: () => server.stop() };
  cleanups.push(() => server.stop());
  return started;
}

async function index(url: string): Promise<{ name: string; version?: string; state: string; reason?: string }[]> {
  return (await postJson(`${url}/v2/repository/index`, {})).body;
}

async function inferSimple(url: string, model: string): Promise<number> {
  return (await postJson(`${url}/v2/models/${model}/infer`, simpleRequest())).status;
}

const OUTSIDE_REASON = 'the model folder is a symbolic link to a path outside the repository and repository.allowed_paths';

describe('symbolic links in a model repository', () => {
  it('follows a model folder linked to a folder inside the repository', async () => {
    const root = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, '.store', 'simple-v7'), { recursive: true });
    await symlink(path.join(root, '.store', 'simple-v7'), path.join(root, 'simple'));
    const ferry = await serve(root);
    expect(await inferSimple(ferry.url, 'simple')).toBe(200);
  });

  it('leaves out a model folder linked outside the repository, with a log line and a reason in the index', async () => {
    const root = await scratch();
    const outside = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(outside, 'simple'), { recursive: true });
    await symlink(path.join(outside, 'simple'), path.join(root, 'linked'));
    const ferry = await serve(root);
    expect(await index(ferry.url)).toEqual([{ name: 'linked', state: 'UNAVAILABLE', reason: OUTSIDE_REASON }]);
    expect(ferry.logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'repository entry skipped', path: 'linked', reason: OUTSIDE_REASON }));
    expect((await postJson(`${ferry.url}/v2/models/linked/infer`, simpleRequest())).status).toBe(404);
  });

  it('refuses an explicit load of the folder the scan left out, by the same rule', async () => {
    const root = await scratch();
    const outside = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(outside, 'simple'), { recursive: true });
    await symlink(path.join(outside, 'simple'), path.join(root, 'linked'));
    const ferry = await serve(root);
    const load = await postJson(`${ferry.url}/v2/repository/models/linked/load`, {});
    expect(load.status).toBe(400);
    expect(load.body).toEqual({ error: `failed to load model 'linked': ${OUTSIDE_REASON}` });
    expect(await inferSimple(ferry.url, 'linked')).toBe(404);
  });

  it('follows links into repository.allowed_paths, for a model folder and a version folder', async () => {
    const root = await scratch();
    const volume = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(volume, 'simple'), { recursive: true });
    await symlink(path.join(volume, 'simple'), path.join(root, 'linked'));
    await mkdir(path.join(root, 'versioned'));
    await symlink(path.join(volume, 'simple', '1'), path.join(root, 'versioned', '1'));
    const ferry = await serve(root, { allowed_paths: [volume] });
    expect(await inferSimple(ferry.url, 'linked')).toBe(200);
    expect(await inferSimple(ferry.url, 'versioned')).toBe(200);
  });

  it('leaves out one version folder linked outside while the model\'s other version serves', async () => {
    const root = await scratch();
    const outside = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'simple'), { recursive: true });
    await cp(path.join(EXAMPLE_MODELS, 'simple', '1'), path.join(outside, '2'), { recursive: true });
    await symlink(path.join(outside, '2'), path.join(root, 'simple', '2'));
    await writeFile(path.join(root, 'simple', 'model.yaml'), 'version_policy: all\n');
    const ferry = await serve(root);
    expect(await index(ferry.url)).toEqual([
      { name: 'simple', version: '1', state: 'READY' },
      { name: 'simple', version: '2', state: 'ERROR', reason: 'the version folder is a symbolic link to a path outside the repository and repository.allowed_paths' },
    ]);
    expect(await inferSimple(ferry.url, 'simple')).toBe(200);
  });

  it('serves a model mounted as a Kubernetes ConfigMap and reloads it when the ..data link moves', async () => {
    // kubelet writes a ConfigMap as ..<timestamp>/<keys>, links ..data to it and each key to ..data/<key>; an update
    // writes a new ..<timestamp> and moves ..data at once.
    const root = await scratch();
    const model = path.join(root, 'mounted');
    await mkdir(path.join(model, '..2024_01_01_00_00_00.1', '1'), { recursive: true });
    await cp(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'), path.join(model, '..2024_01_01_00_00_00.1', '1', 'model.onnx'));
    await symlink('..2024_01_01_00_00_00.1', path.join(model, '..data'));
    await symlink('..data/1', path.join(model, '1'));
    const ferry = await serve(root, {}, 0.1);
    const inputs = async () => (await getJson(`${ferry.url}/v2/models/mounted`)).body.inputs?.map((i: { name: string }) => i.name);
    expect(await inputs()).toEqual(['INPUT0', 'INPUT1']);

    await mkdir(path.join(model, '..2024_02_02_00_00_00.2', '1'), { recursive: true });
    await cp(path.join(EXAMPLE_MODELS, 'half_plus_two/1/model.onnx'), path.join(model, '..2024_02_02_00_00_00.2', '1', 'model.onnx'));
    await symlink('..2024_02_02_00_00_00.2', path.join(model, '..data_tmp'));
    await rename(path.join(model, '..data_tmp'), path.join(model, '..data'));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await inputs())?.[0] !== 'x') await new Promise((r) => setTimeout(r, 50));
    expect(await inputs()).toEqual(['x']);
  });

  it('follows a file link inside the version folder and refuses one that leaves it', async () => {
    const root = await scratch();
    const outside = await scratch();
    await mkdir(path.join(root, 'inside', '1', 'weights'), { recursive: true });
    await cp(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'), path.join(root, 'inside', '1', 'weights', 'sum.onnx'));
    await symlink('weights/sum.onnx', path.join(root, 'inside', '1', 'model.onnx'));
    await cp(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'), path.join(outside, 'model.onnx'));
    await mkdir(path.join(root, 'escaping', '1'), { recursive: true });
    await symlink(path.join(outside, 'model.onnx'), path.join(root, 'escaping', '1', 'model.onnx'));
    const ferry = await serve(root);
    expect(await inferSimple(ferry.url, 'inside')).toBe(200);
    expect((await index(ferry.url)).find((e) => e.name === 'escaping')).toEqual({
      name: 'escaping', version: '1', state: 'ERROR', reason: 'model.onnx is a symbolic link to a path outside the version folder and repository.allowed_paths',
    });
  });

  it('refuses options.model_file and options.file outside the version folder, even through a link', async () => {
    const root = await scratch();
    const outside = await scratch();
    await cp(path.join(EXAMPLE_MODELS, 'simple/1/model.onnx'), path.join(outside, 'model.onnx'));
    await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'escape'), { recursive: true });
    await writeFile(path.join(root, 'escape', 'model.yaml'), `options: {model_file: '../../${path.relative(root, outside)}/model.onnx'}\n`);
    await mkdir(path.join(root, 'passwd', '1'), { recursive: true });
    await cp(path.join(EXAMPLE_MODELS, 'penguins_pmml/1/model.pmml'), path.join(root, 'passwd', '1', 'model.pmml'));
    await symlink('/etc/passwd', path.join(root, 'passwd', '1', 'passwd.pmml'));
    await writeFile(path.join(root, 'passwd', 'model.yaml'), 'runtime: pmml\noptions: {file: passwd.pmml}\n');
    const ferry = await serve(root);
    const entries = await index(ferry.url);
    expect(entries.find((e) => e.name === 'escape')).toMatchObject({ state: 'ERROR', reason: expect.stringMatching(/options\.model_file '.*' must be a file inside the version folder/) });
    expect(entries.find((e) => e.name === 'passwd')).toMatchObject({ state: 'ERROR', reason: 'passwd.pmml is a symbolic link to a path outside the version folder and repository.allowed_paths' });
    expect(JSON.stringify(entries)).not.toContain('root:');
  });

  it('names files relative to the repository in the unauthenticated index and in errors', async () => {
    const root = await scratch();
    await mkdir(path.join(root, 'broken', '1'), { recursive: true });
    await writeFile(path.join(root, 'broken', '1', 'model.onnx'), 'not an onnx model');
    const ferry = await serve(root);
    const [entry] = await index(ferry.url);
    expect(entry!.reason).toMatch(/Load model from broken\/1\/model\.onnx failed/);
    expect(entry!.reason).not.toContain(root);
    const infer = await postJson(`${ferry.url}/v2/models/broken/infer`, simpleRequest());
    expect(infer.status).toBe(503);
    expect(infer.body.error).not.toContain(root);
    expect(await readFile(path.join(root, 'broken', '1', 'model.onnx'), 'utf8')).toBe('not an onnx model');
  });
});
