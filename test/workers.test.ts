import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, tracked } from './helpers/processes.ts';
import { REPO_ROOT, scratchRepository } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/**
 * `ferry serve --workers N` as a user runs it: the CLI in a child process. Worker processes are identified by the
 * pids the primary logs, and which worker holds a connection is read from /proc (Linux).
 */
const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');

interface Cluster {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  /** Every `worker started` line so far: worker index and pid. */
  readonly started: { worker: number; pid: number }[];
}

async function startCluster(workers: number, repository: string): Promise<Cluster> {
  const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', repository, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--workers', String(workers)], {
    cwd: REPO_ROOT, env: { ...process.env, FERRY_HTTP_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started: { worker: number; pid: number }[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not start: ${buffered.slice(-2000)}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, any>;
        if (entry['msg'] === 'worker started') started.push({ worker: entry['worker'], pid: entry['pid'] });
        if (entry['msg'] === 'ferry serving') {
          clearTimeout(timer);
          resolve(Number(String(entry['http']).split(':').at(-1)));
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  });
  return { child, port, exited, started };
}

/** Which process holds the server side of each client connection (by the client's local port), from /proc. */
function connectionOwners(serverPort: number, clientPorts: readonly number[], pids: readonly number[]): Map<number, number> {
  const inodeOfClient = new Map<string, number>();
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !fields[1]!.endsWith(`:${hex(serverPort)}`)) continue;
      const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
      if (clientPorts.includes(remotePort)) inodeOfClient.set(fields[9]!, remotePort);
    }
  }
  const owners = new Map<number, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        const client = match ? inodeOfClient.get(match[1]!) : undefined;
        if (client !== undefined) owners.set(client, pid);
      } catch {
        // closed while we looked
      }
    }
  }
  return owners;
}

/** One keep-alive connection sending requests one after another; records each answer with the connection it used. */
class Client {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  localPort = 0;
  readonly outcomes: { ok: boolean; localPort: number; status: number }[] = [];

  send(port: number, body: string): Promise<void> {
    return new Promise((resolve) => {
      let usedPort = 0;
      const req = request({ host: '127.0.0.1', port, path: '/v2/models/simple/infer', method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          this.outcomes.push({ ok: res.statusCode === 200, localPort: usedPort, status: res.statusCode ?? 0 });
          resolve();
        });
        res.on('error', () => {
          this.outcomes.push({ ok: false, localPort: usedPort, status: 0 });
          resolve();
        });
      });
      req.on('socket', (socket) => {
        const note = () => {
          usedPort = socket.localPort ?? 0;
          this.localPort = usedPort;
        };
        if (socket.localPort) note();
        else socket.once('connect', note);
      });
      req.on('error', () => {
        this.outcomes.push({ ok: false, localPort: usedPort, status: 0 });
        resolve();
      });
      req.end(body);
    });
  }
}

async function metricTotal(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('ferry_inference_requests_total{model="simple"') && l.includes('status="200"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

afterEach(() => stopAll());

describe('ferry serve --workers', () => {
  // The two example models these tests use: each worker loads them at start.
  let repo: Awaited<ReturnType<typeof scratchRepository>>;
  beforeAll(async () => {
    repo = await scratchRepository(['simple', 'mlp']);
  });
  afterAll(() => repo.remove());

  it('shares the port between workers, aggregates /metrics, and a killed worker loses only the requests it held, then is restarted', async () => {
    const cluster = await startCluster(2, repo.root);
    const body = JSON.stringify(simpleRequest());
    const clients = Array.from({ length: 16 }, () => new Client());
    try {
      expect(cluster.started.map((s) => s.worker).sort()).toEqual([0, 1]);
      const pids = cluster.started.map((s) => s.pid);
      // Warm up: every connection opens, and the kernel spreads them over both workers.
      await Promise.all(clients.map((c) => c.send(cluster.port, body)));
      let owners = connectionOwners(cluster.port, clients.map((c) => c.localPort), pids);
      expect(new Set(owners.values()).size, 'both workers hold connections').toBe(2);
      // Aggregation: the two workers' counters add up to every answer so far.
      expect(await metricTotal(cluster.port)).toBe(16);

      let running = true;
      const loops = clients.map(async (c) => {
        while (running) await c.send(cluster.port, body);
      });
      await new Promise((r) => setTimeout(r, 500));
      const victim = cluster.started.find((s) => s.worker === 0)!.pid;
      owners = connectionOwners(cluster.port, clients.map((c) => c.localPort), pids);
      const heldByVictim = new Set([...owners].filter(([, pid]) => pid === victim).map(([clientPort]) => clientPort));
      const before = clients.map((c) => c.outcomes.length);
      process.kill(victim, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
      running = false;
      await Promise.all(loops);

      const afterKill = clients.flatMap((c, i) => c.outcomes.slice(before[i]));
      const failures = afterKill.filter((o) => !o.ok);
      // Each connection has one request in flight at most: only connections the victim held can lose one, once.
      for (const failure of failures) expect(heldByVictim.has(failure.localPort), `failure on a connection worker 0 did not hold: ${JSON.stringify(failure)}`).toBe(true);
      expect(failures.length).toBeLessThanOrEqual(heldByVictim.size);
      expect(afterKill.filter((o) => o.ok).length).toBeGreaterThan(100);

      // The primary starts worker 0 again; a fresh round of connections is served by both workers.
      const deadline = Date.now() + 30_000;
      while (cluster.started.filter((s) => s.worker === 0).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const restarted = cluster.started.filter((s) => s.worker === 0).at(-1)!;
      expect(restarted.pid).not.toBe(victim);
      let ready = false;
      while (!ready && Date.now() < deadline) {
        ready = (await fetch(`http://127.0.0.1:${cluster.port}/v2/health/ready`)).status === 200 && connectionsReach(cluster.port, restarted.pid);
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      const fresh = Array.from({ length: 16 }, () => new Client());
      await Promise.all(fresh.map((c) => c.send(cluster.port, body)));
      expect(fresh.every((c) => c.outcomes[0]!.ok)).toBe(true);
    } finally {
      for (const c of clients) c.agent.destroy();
      cluster.child.kill('SIGTERM');
      await cluster.exited;
    }
  }, 120_000);

  it('drains every worker on SIGTERM: requests in flight are answered and the primary exits 0', async () => {
    const cluster = await startCluster(2, repo.root);
    const url = `http://127.0.0.1:${cluster.port}/v2/models/mlp/infer`;
    const mlpBody = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [256, 256], data: new Array(256 * 256).fill(0.25) }] });
    let signalled = false;
    let firstAnswer: () => void;
    const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
    const inflight = Array.from({ length: 48 }, () => fetch(url, { method: 'POST', body: mlpBody }).then((r) => {
      firstAnswer();
      return { status: r.status, afterSignal: signalled };
    }));
    await answered;
    signalled = true;
    cluster.child.kill('SIGTERM');
    const settled = await Promise.allSettled(inflight);
    expect(await cluster.exited).toBe(0);
    const answers = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ status: number; afterSignal: boolean }>).value);
    expect(answers.length).toBeGreaterThan(0);
    for (const { status } of answers) expect([200, 503]).toContain(status);
  }, 120_000);
});

/** Whether some fresh connection to the port lands on `pid` (the restarted worker listens). */
function connectionsReach(port: number, pid: number): boolean {
  const text = readFileSync('/proc/net/tcp', 'utf8');
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = new Set(text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(hex) && f[3] === '0A').map((f) => f[9]!));
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match !== null && listening.has(match[1]!);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
