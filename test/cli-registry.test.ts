// `ferry registry ...` run in-process (the same commander program the binary runs), against a server's API and
// against a store opened directly: output for people and scripts, and exit codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModels } from '../src/cli/models.ts';
import { registerRegistry } from '../src/cli/registry.ts';
import { runCli, type CliRun } from './helpers/cli.ts';
import { ADMIN_TOKEN, REGISTRY_FIXTURES } from './helpers/registry.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const READ_TOKEN = 'read-token-for-tests-0123456789';
let dataDir: string;
let ferry: RunningFerry;

async function ferryCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli((program) => {
    registerRegistry(program);
    registerModels(program);
  }, [...(args[0] === 'models' ? [] : ['registry']), ...args], env);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-cli-registry-'));
  ferry = await startFerry({
    data_dir: dataDir,
    auth: { tokens: [{ name: 'ci', token: ADMIN_TOKEN, scopes: ['admin'] }, { name: 'viewer', token: READ_TOKEN, scopes: ['read'] }] },
  });
});
afterAll(async () => {
  await ferry?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('ferry registry against a server (--url, FERRY_TOKEN)', () => {
  const api = (args: string[], token = ADMIN_TOKEN) => ferryCli([...args, '--url', ferry.url, '--data-dir', dataDir], { FERRY_TOKEN: token });

  it('registers a folder: digest, signature from loading it, copy under the digest, actor from the token', async () => {
    const result = await api(['register', 'fraud', path.join(REGISTRY_FIXTURES, 'scale-1'), '--metric', 'auc=0.91', '--tag', 'team=risk', '-o', 'json']);
    expect(result.code).toBe(0);
    const v = JSON.parse(result.out);
    expect(v).toMatchObject({ model: 'fraud', version: 1, status: 'READY', runtime: 'onnx', created_by: 'ci', metrics: { auc: 0.91 }, tags: { team: 'risk' } });
    expect(v.signature).toMatchObject({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }] });
    expect(v.source).toBe(path.join(dataDir, 'artifacts', 'fraud', v.digest.slice(7)));
  });

  it('reads an MLflow model folder: signature and input example from MLmodel', async () => {
    const result = await api(['register', 'fraud', path.join(REGISTRY_FIXTURES, 'mlflow-scale-2'), '--alias', 'challenger', '-o', 'json']);
    expect(result.code).toBe(0);
    const v = JSON.parse(result.out);
    expect(v).toMatchObject({ version: 2, aliases: ['challenger'], run_id: '9d1f3c0a5b7e4f2a8c6d4e2f0a1b3c5d' });
    expect(v.input_example).toEqual({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
  });

  it('promotes, rolls back and shows the history as tables', async () => {
    expect((await api(['promote', 'fraud', '1'])).out).toBe('fraud@champion: (none) -> 1');
    expect((await api(['promote', 'fraud', '2', '--stage', 'Production'])).out).toBe('fraud@champion: 1 -> 2');
    expect((await api(['rollback', 'fraud'])).out).toBe('fraud@champion -> version 1');
    const list = await api(['list', 'fraud']);
    expect(list.out.split('\n')[0]).toMatch(/^VERSION\s+STAGE\s+ALIASES\s+STATUS/);
    expect(list.out).toMatch(/\n2\s+Production\s+challenger\s+READY/);
    expect(list.out).toMatch(/\n1\s+None\s+champion\s+READY/);
    const history = await api(['history', 'fraud']);
    expect(history.out.split('\n').slice(1, 4).map((l) => l.replace(/^\d+\s+\S+ \S+\s+/, ''))).toEqual([
      'ci     alias.set       1        champion: 2 -> 1',
      'ci     version.stage   2        None -> Production',
      'ci     alias.set       2        champion: 1 -> 2',
    ]);
    expect((await api(['show', 'models:/fraud@champion'])).out).toMatch(/^fraud version 1\n/);
  });

  it('exits 3 for what does not exist, 4 for a token without the scope, 5 for a refused change, 6 when unreachable', async () => {
    const missing = await api(['show', 'nope']);
    expect(missing).toMatchObject({ code: 3, err: "ferry registry: registered model 'nope' not found" });
    const denied = await api(['alias', 'set', 'fraud', 'champion', '2'], READ_TOKEN);
    expect(denied.code).toBe(4);
    expect(denied.err).toContain("token 'viewer' lacks the 'write' scope");
    expect((await api(['alias', 'set', 'fraud', 'latest', '2'])).code).toBe(5);
    const json = await api(['show', 'nope', '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual({ error: "registered model 'nope' not found", code: 'FERRY_ERR_REGISTRY_MODEL_NOT_FOUND' });
    expect((await ferryCli(['list', '--url', 'http://127.0.0.1:1'])).code).toBe(6);
  });
});

describe('ferry models (what a server serves)', () => {
  it('lists models with their serving versions and origin, and one model\'s versions', async () => {
    const list = await ferryCli(['models', 'list', '--url', ferry.url], { FERRY_TOKEN: READ_TOKEN });
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(/^MODEL\s+SERVING\s+FROM\s+PROBLEM$/);
    expect(list.out).toMatch(/\nsimple\s+1\s+repository\n/);
    expect(list.out.split('\n').at(-1)).toBe('registry: reachable');
    const status = await ferryCli(['models', 'status', 'simple', '--url', ferry.url, '-o', 'json'], { FERRY_TOKEN: READ_TOKEN });
    expect(JSON.parse(status.out)).toEqual({ name: 'simple', origin: 'repository', versions: [{ version: 1, state: 'AVAILABLE' }] });
    expect((await ferryCli(['models', 'status', 'nope', '--url', ferry.url], { FERRY_TOKEN: READ_TOKEN })).code).toBe(3);
    expect((await ferryCli(['models', 'list', '--url', ferry.url], { FERRY_TOKEN: undefined })).code).toBe(4);
  });
});

describe('ferry registry against a store (--store)', () => {
  it('writes with the user as actor, and the server sees the same records', async () => {
    const store = `sqlite:${path.join(dataDir, 'direct.db')}`;
    const registered = await ferryCli(['register', 'direct', path.join(REGISTRY_FIXTURES, 'scale-3', 'model.onnx'), '--store', store, '--data-dir', dataDir, '-o', 'json']);
    expect(registered.code).toBe(0);
    const v = JSON.parse(registered.out);
    expect(v.created_by).toMatch(/^cli:/);
    expect(v.files).toEqual([]);
    expect(v.source.endsWith('/model.onnx')).toBe(true);
    expect((await ferryCli(['alias', 'set', 'direct', 'champion', '1', '--store', store])).out).toBe('direct@champion -> version 1');
    expect((await ferryCli(['alias', 'delete', 'direct', 'champion', '--store', store])).code).toBe(0);
    expect((await ferryCli(['alias', 'delete', 'direct', 'champion', '--store', store])).code).toBe(3);
  });
});
