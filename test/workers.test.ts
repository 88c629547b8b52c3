import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, request, type ClientRequestArgs } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from './helpers/ports.ts';
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
  /** Pids of the workers the primary has seen exit (it logs once the process is gone, every socket it held closed). */
  readonly exitedPids: number[];
}

async function startCluster(workers: number, repository: string): Promise<Cluster> {
  // Named ports: with port 0 the primary finds a free one and leaves it unbound while the workers load their models,
  // long enough under load for another test's bind to port 0 to be handed it.
  const [httpPort, grpcPort] = await freePorts(2);
  const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', repository, '--http-port', String(httpPort), '--grpc-port', String(grpcPort), '--poll-seconds', '0', '--workers', String(workers)], {
    cwd: REPO_ROOT, env: { ...process.env, FERRY_HTTP_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started: { worker: number; pid: number }[] = [];
  const exitedPids: number[] = [];
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
        if (entry['msg'] === 'worker exited; starting it again') exitedPids.push(entry['pid']);
        if (entry['msg'] === 'ferry serving') {
          clearTimeout(timer);
          resolve(Number(String(entry['http']).split(':').at(-1)));
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  });
  return { child, port, exited, started, exitedPids };
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

/**
 * One keep-alive connection sending requests one after another; records each answer with the connection it used.
 * A new connection is opened only once `gate` has resolved.
 */
class Client {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** This client's connections not yet closed. */
  readonly open = new Set<Socket>();
  /** Connections asked for and not yet opened (waiting for the gate). */
  #waiting = 0;
  readonly outcomes: { ok: boolean; localPort: number; status: number }[] = [];
  gate: Promise<unknown> = Promise.resolve();

  constructor() {
    this.agent.createConnection = (options: ClientRequestArgs, created?: (error: Error | null, socket: Socket) => void) => {
      this.#waiting++;
      void this.gate.catch(() => undefined).then(() => {
        this.#waiting--;
        const socket = createConnection(options as Parameters<typeof createConnection>[0]);
        this.open.add(socket);
        socket.once('close', () => this.open.delete(socket));
        created!(null, socket);
      });
      return undefined;
    };
  }

  /** Local ports of the connections open or asked for (undefined for one not yet connected). */
  get connectionPorts(): (number | undefined)[] {
    return [...[...this.open].map((socket) => socket.localPort), ...Array<undefined>(this.#waiting).fill(undefined)];
  }

  send(port: number, body: string): Promise<void> {
    return new Promise((resolve) => {
      let usedPort = 0;
      let settled = false;
      const settle = (ok: boolean, status: number) => {
        if (settled) return;
        settled = true;
        this.outcomes.push({ ok, localPort: usedPort, status });
        resolve();
      };
      const req = request({ host: '127.0.0.1', port, path: '/v2/models/simple/infer', method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode === 200, res.statusCode ?? 0));
        res.on('error', () => settle(false, 0));
      });
      req.on('socket', (socket) => {
        const note = () => (usedPort = socket.localPort ?? 0);
        if (socket.localPort) note();
        else socket.once('connect', note);
      });
      req.on('error', () => settle(false, 0));
      req.end(body);
    });
  }
}

/** Polls `condition` every 50 ms; fails naming `what` if it does not hold within `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
    let running = false;
    try {
      expect(cluster.started.map((s) => s.worker).sort()).toEqual([0, 1]);
      const pids = cluster.started.map((s) => s.pid);
      // Warm up: every connection opens, and the kernel spreads them over both workers.
      await Promise.all(clients.map((c) => c.send(cluster.port, body)));
      let owners = connectionOwners(cluster.port, clients.flatMap((c) => c.connectionPorts as number[]), pids);
      expect(new Set(owners.values()).size, 'both workers hold connections').toBe(2);
      // Aggregation: the two workers' counters add up to every answer so far.
      expect(await metricTotal(cluster.port)).toBe(16);

      running = true;
      const loops = clients.map(async (c) => {
        while (running) await c.send(cluster.port, body);
      });
      await new Promise((r) => setTimeout(r, 500));
      const victim = cluster.started.find((s) => s.worker === 0)!.pid;
      // Which worker holds each client's connection. /proc/net/tcp is read in pages, each resuming where the last
      // stopped, and can skip a line while other sockets come and go: read again until every connection is found.
      // The last reading and the kill happen in one turn of this loop, so no connection opens between them.
      let ports = clients.flatMap((c) => c.connectionPorts);
      owners = connectionOwners(cluster.port, ports as number[], pids);
      for (let attempt = 1; attempt < 20 && ports.some((p) => p === undefined || !owners.has(p)); attempt++) {
        await new Promise((r) => setTimeout(r, 25));
        ports = clients.flatMap((c) => c.connectionPorts);
        owners = connectionOwners(cluster.port, ports as number[], pids);
      }
      expect(ports.length, 'one connection per client').toBe(clients.length);
      expect(ports.filter((p) => p === undefined || !owners.has(p)), 'connections no worker holds').toEqual([]);
      const heldByVictim = new Set([...owners].filter(([, pid]) => pid === victim).map(([clientPort]) => clientPort));
      const before = clients.map((c) => c.outcomes.length);
      // A connection opened while the victim dies can be queued on one of its listening sockets and reset with it:
      // the victim's loss, but no snapshot can show it. New connections wait until the primary has seen it exit.
      const victimGone = until(() => cluster.exitedPids.includes(victim), 'the primary logs the killed worker\'s exit', 30_000);
      for (const c of clients) c.gate = victimGone;
      process.kill(victim, 'SIGKILL');
      await victimGone;
      // Every client, the victim's ones on new connections, is answered again.
      const answeredSinceKill = (c: Client, i: number) => c.outcomes.slice(before[i]).filter((o) => o.ok).length;
      await until(() => clients.every((c, i) => answeredSinceKill(c, i) >= 10), 'every client has 10 answers after the kill', 30_000);
      running = false;
      await Promise.all(loops);

      const afterKill = clients.flatMap((c, i) => c.outcomes.slice(before[i]));
      const failures = afterKill.filter((o) => !o.ok);
      // Each connection has one request in flight at most: only connections the victim held can lose one, once.
      for (const failure of failures) expect(heldByVictim.has(failure.localPort), `failure on a connection worker 0 did not hold: ${JSON.stringify(failure)}`).toBe(true);
      expect(failures.length).toBeLessThanOrEqual(heldByVictim.size);

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
      running = false;
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
