import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingAddresses, stopAll, stopChild, tracked } from './helpers/processes.ts';
import { inferX, startGraphServer, type GraphServer } from './helpers/graphs.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');

/** A second Ferry, its own process, serving the example models on loopback. */
async function spawnFerry(): Promise<{ child: ChildProcess; http: string; grpc: string }> {
  const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', 'examples/models', '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info'], {
    cwd: REPO_ROOT, env: { ...process.env, FERRY_HTTP_PORT: '', FERRY_GRPC_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const where = await servingAddresses(child, 30_000, 'the second Ferry');
  return { child, http: where.http, grpc: where.grpc };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const remote = (url: string, extra = '') => `
nodes:
  - {name: far, type: remote, url: "${url}", model: half_plus_two${extra}}
`;

describe('remote nodes', () => {
  let second: Awaited<ReturnType<typeof spawnFerry>>;
  let ferry: GraphServer;
  let flakyProxy: Server;
  let blackHole: Server;
  let proxied = 0;

  beforeAll(async () => {
    second = await spawnFerry();
    // Answers 503 to every other request and forwards the rest to the second Ferry: a retry gets through.
    flakyProxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        proxied++;
        if (proxied % 2 === 1) {
          res.writeHead(503).end('{"error":"busy"}');
          return;
        }
        void fetch(`http://${second.http}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
          .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()));
      });
    });
    blackHole = createServer(() => {
      // never answers
    });
    const flakyPort = await listen(flakyProxy);
    const holePort = await listen(blackHole);
    const dead = await listen(createServer());
    ferry = await startGraphServer({
      deployments: {
        over_rest: remote(`http://${second.http}`),
        over_grpc: remote(`grpc://${second.grpc}`),
        retried: remote(`http://127.0.0.1:${flakyPort}`, ', retries: 1'),
        not_retried: remote(`http://127.0.0.1:${flakyPort}`, ', retries: 0'),
        too_slow: remote(`http://127.0.0.1:${holePort}`, ', timeout_ms: 200, retries: 2'),
        refused: remote(`http://127.0.0.1:${dead}`, ', retries: 1'),
      },
    });
  }, 90_000);
  afterAll(async () => {
    await ferry?.stop();
    if (second) await stopChild(second.child);
    await stopAll(); // a second Ferry that did not start in time
    blackHole?.closeAllConnections();
    // A server that was never made (beforeAll failed early) has nothing to close.
    await Promise.all([flakyProxy, blackHole].map((s) => (s === undefined ? undefined : new Promise((r) => s.close(r)))));
  });

  it('call a second Ferry process over V2 REST and gRPC', async () => {
    for (const graph of ['over_rest', 'over_grpc']) {
      const { status, body } = await inferX(ferry.url, graph, [2, 4, 10]);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP32', shape: [3], data: [3, 4, 7] });
    }
  });

  it('retry a busy answer, and say how many attempts failed when none got through', async () => {
    for (let i = 0; i < 4; i++) {
      const { status, body } = await inferX(ferry.url, 'retried', [6]);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.outputs[0].data).toEqual([5]);
    }
    proxied = 0; // the next request meets a 503
    const once = await inferX(ferry.url, 'not_retried', [6]);
    expect(once.status).toBe(502);
    expect(once.body.error).toMatch(/remote node 'far' \(http:\/\/127\.0\.0\.1:\d+\) failed after 1 attempt\(s\): HTTP 503/);
  });

  it('give up on a remote that does not answer within its timeout, after every retry', async () => {
    const started = performance.now();
    const { status, body } = await inferX(ferry.url, 'too_slow', [1]);
    expect(status).toBe(502);
    expect(body.error).toMatch(/failed after 3 attempt\(s\): no answer within 200 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    const refused = await inferX(ferry.url, 'refused', [1]);
    expect(refused.status).toBe(502);
    expect(refused.body.error).toMatch(/failed after 2 attempt\(s\)/);
  }, 30_000);
});
