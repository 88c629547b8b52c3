import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const OPERATOR = 'operator-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';

const GRAPH = `
nodes:
  - {name: one, type: model, model: half_plus_two}
  - {name: two, type: model, model: half_plus_two}
  - name: traffic
    type: router
    policy: split
    arms: [{name: stable, node: one, weight: 0.9}, {name: canary, node: two, weight: 0.1}]
`;

describe('ferry deploy set-weights | promote | rollback | status', () => {
  let ferry: GraphServer;
  beforeAll(async () => {
    ferry = await startGraphServer({
      examples: ['half_plus_two'],
      deployments: { shop: GRAPH },
      config: { poll_seconds: 0.1, auth: { tokens: [{ name: 'release-bot', token: OPERATOR, scopes: ['write'] }, { name: 'viewer', token: VIEWER, scopes: ['read'] }] } },
    });
  }, 60_000);
  afterAll(() => ferry.stop());

  const ferryCli = async (args: string[], token = OPERATOR) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(NODE, ['bin/ferry.js', 'deploy', ...args, '--url', ferry.url], { cwd: REPO_ROOT, env: { ...process.env, FERRY_TOKEN: token } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const weights = () => ferry.server.graphs.runner('shop').routers.get('traffic')!.weightsByName();

  it('changes a running graph\'s traffic, audited under the token\'s name', async () => {
    const set = await ferryCli(['set-weights', 'shop', 'traffic', 'stable=0.7', 'canary=0.3']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/traffic \(split\)[\s\S]*stable\s+0\.7[\s\S]*canary\s+0\.3/);
    expect(weights()).toEqual({ stable: 0.7, canary: 0.3 });
    const promote = await ferryCli(['promote', 'shop', 'traffic', 'canary', '-o', 'json']);
    expect(promote.code).toBe(0);
    expect(JSON.parse(promote.stdout).weights).toEqual({ stable: 0, canary: 1 });
    expect((await ferryCli(['rollback', 'shop', 'traffic'])).code).toBe(0);
    expect(weights()).toEqual({ stable: 1, canary: 0 });
    const status = await ferryCli(['status', 'shop'], VIEWER);
    expect(status.stdout).toMatch(/stable\s+1\s+one/);
    const entries = await fetch(`${ferry.url}/api/v1/audit?model=shop`, { headers: { authorization: `Bearer ${VIEWER}` } }).then((r) => r.json()) as { entries: any[] };
    expect(entries.entries.map((e) => [e.action, e.actor])).toEqual([['graph.rollback', 'release-bot'], ['graph.promote', 'release-bot'], ['graph.set_weights', 'release-bot']]);
  }, 240_000);

  it('refuses weights that do not sum to 1, unknown arms and a read-only token, with exit codes scripts can use', async () => {
    const sum = await ferryCli(['set-weights', 'shop', 'traffic', 'stable=0.7', 'canary=0.7']);
    expect(sum.code).toBe(5);
    expect(sum.stderr).toMatch(/graph 'shop' node 'traffic': weights sum to 1.4, not 1/);
    const arm = await ferryCli(['promote', 'shop', 'traffic', 'nope']);
    expect(arm.code).toBe(5);
    expect(arm.stderr).toMatch(/no arm 'nope'/);
    const denied = await ferryCli(['rollback', 'shop', 'traffic'], VIEWER);
    expect(denied.code).toBe(4);
    const missing = await ferryCli(['status', 'nowhere'], VIEWER);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/graph 'nowhere' not found/);
  }, 240_000);

  it('says when the deployment file changed into one that does not load, above the traffic still served', async () => {
    await writeFile(path.join(ferry.root, 'deployments', 'shop.yaml'), 'nodes: [');
    const deadline = Date.now() + 20_000;
    let status = await ferryCli(['status', 'shop'], VIEWER);
    while (!status.stdout.includes('deployment not applied') && Date.now() < deadline) status = await ferryCli(['status', 'shop'], VIEWER);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^deployment not applied: serving the previous definition; graph 'shop' node '-': not YAML/);
    expect(status.stdout).toMatch(/traffic \(split\)/);
  }, 120_000);
});
