// Bandit state shared through a PostgreSQL registry store: two `ferry serve` processes serve one bandit graph;
// feedback sent to either reaches the other within its sync interval, and a new process starts from what both learnt.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { servingAddresses, stopChild, tracked } from './helpers/processes.ts';
import { dropSchemas, pgStoreUrl, postgresReachable, randomSchema } from './helpers/postgres.ts';
import { ADMIN_TOKEN, waitUntil } from './helpers/registry.ts';
import { EXAMPLE_MODELS, REPO_ROOT } from './helpers/server.ts';

const reachable = await postgresReachable('bandit state over PostgreSQL');
const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const SYNC_SECONDS = 0.5;
const BANDIT = `
nodes:
  - {name: left, type: model, model: half_plus_two}
  - {name: right, type: model, model: half_plus_two}
  - name: learner
    type: router
    policy: thompson_sampling
    arms: [{name: a, node: left}, {name: b, node: right}]
`;
const cleanup: (() => Promise<unknown>)[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await dropSchemas(schemas);
});

/** A folder with half_plus_two, the bandit deployment beside it and a ferry.yaml syncing graph state every 0.5 s. */
async function site(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-pg-bandit-'));
  cleanup.push(() => rm(root, { recursive: true, force: true }));
  await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(root, 'models', 'half_plus_two'), { recursive: true });
  await mkdir(path.join(root, 'deployments'));
  await writeFile(path.join(root, 'deployments', 'shop.yaml'), BANDIT);
  await writeFile(path.join(root, 'ferry.yaml'), `graphs:\n  sync_seconds: ${SYNC_SECONDS}\n`);
  return root;
}

/** `ferry serve` as its own process over a repository of its own and the shared store. */
async function ferryProcess(store: string): Promise<{ url: string; child: ChildProcess }> {
  const root = await site();
  const child = tracked(spawn(NODE, [
    'bin/ferry.js', 'serve', path.join(root, 'models'), '--config', path.join(root, 'ferry.yaml'), '--http-port', '0', '--grpc-port', '0',
    '--poll-seconds', '0', '--data-dir', path.join(root, 'data'), '--registry-store', store,
  ], {
    cwd: REPO_ROOT,
    env: { ...process.env, FERRY_HTTP_PORT: '', FERRY_AUTH_TOKENS: `ops:admin:${ADMIN_TOKEN}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  cleanup.push(() => stopChild(child));
  const url = `http://127.0.0.1:${(await servingAddresses(child, 60_000)).http.split(':').at(-1)}`;
  return { url, child };
}

type Arms = Record<string, { pulls: number; reward: number }>;

/** What a server's bandit holds now, per arm (management API). */
async function arms(url: string): Promise<Arms> {
  const response = await fetch(`${url}/api/v1/graphs/shop`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const body = await response.json() as { routers: { arms: { name: string; pulls: number; reward: number }[] }[] };
  return Object.fromEntries(body.routers[0]!.arms.map((a) => [a.name, { pulls: a.pulls, reward: a.reward }]));
}

/** `n` feedback messages for `arm` with `reward`, giving the route (which works on any replica). */
async function feedback(url: string, arm: 'a' | 'b', reward: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/v2/models/shop/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ route: `learner=${arm}`, reward }) });
    if (response.status !== 200) throw new Error(`feedback: ${response.status} ${await response.text()}`);
  }
}

/** The share of `n` answers a server routes to arm b. */
async function shareOfB(url: string, n: number): Promise<number> {
  let b = 0;
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/v2/models/shop/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }) });
    const body = await response.json() as { parameters: { ferry_route: string } };
    if (body.parameters.ferry_route === 'learner=b') b += 1;
  }
  return b / n;
}

describe.runIf(reachable)('a bandit shared by two servers through PostgreSQL', () => {
  it('learns from feedback sent to either server, within the sync interval, and a new server starts from it', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const store = pgStoreUrl(schema);
    const [one, two] = await Promise.all([ferryProcess(store), ferryProcess(store)]);
    expect(await arms(two.url)).toEqual({ a: { pulls: 0, reward: 0 }, b: { pulls: 0, reward: 0 } });

    // Arm b always pays, arm a never: told to the first server only.
    await feedback(one.url, 'b', 1, 150);
    await feedback(one.url, 'a', 0, 150);
    const learnt: Arms = { a: { pulls: 150, reward: 0 }, b: { pulls: 150, reward: 150 } };
    const took = await waitUntil(async () => JSON.stringify(await arms(two.url)) === JSON.stringify(learnt), 20 * SYNC_SECONDS * 1000, 'the second server learning it');
    console.log(`feedback on one server reached the other after ${took.toFixed(0)} ms (sync every ${SYNC_SECONDS} s)`);
    expect(await shareOfB(two.url, 100)).toBeGreaterThanOrEqual(0.95);

    // Feedback to the second server adds to the same totals (not replaced by the first's).
    await feedback(two.url, 'a', 1, 50);
    const both: Arms = { a: { pulls: 200, reward: 50 }, b: { pulls: 150, reward: 150 } };
    for (const server of [one, two]) await waitUntil(async () => JSON.stringify(await arms(server.url)) === JSON.stringify(both), 20 * SYNC_SECONDS * 1000, 'both servers holding the totals');

    // Both stop; a third server on the same store starts from what they learnt and routes by it at once.
    await Promise.all([stopChild(one.child), stopChild(two.child)]);
    const three = await ferryProcess(store);
    expect(await arms(three.url)).toEqual(both);
    expect(await shareOfB(three.url, 100)).toBeGreaterThanOrEqual(0.95);
  }, 180_000);
});
