// `ferry serve` and `npm start` as processes: SIGTERM ends them within the grace period and the cleanup bound,
// even with connections that never finish on their own; a second signal ends them at once; `npm start` leaves
// no server behind whether npm is signalled or killed.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcClient } from '../src/protocol/v2-grpc/index.ts';
import { startFerryProcess, type FerryProcess } from './helpers/ferry-process.ts';
import { processesMatching, stopAll, tracked, waitUntilNoneMatch } from './helpers/processes.ts';
import { REPO_ROOT } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

const GRACE_SECONDS = 2;
/** src/cli/shutdown.ts's CLEANUP_BOUND_MS, plus room for a loaded machine. */
const EXIT_BOUND_MS = GRACE_SECONDS * 1000 + 5_000 + 8_000;

afterEach(() => stopAll());

/** Connections that keep a draining server busy: an idle keep-alive socket, a request whose body never
 * arrives, and a gRPC ModelStreamInfer stream that has been answered once and is left open. */
async function holdConnections(ferry: FerryProcess) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify(simpleRequest());
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
  expect(status).toBe(200);

  const stuck: Socket = connect(ferry.httpPort, '127.0.0.1');
  const stuckClosed = new Promise<number>((resolve) => stuck.on('close', () => resolve(Date.now())));
  stuck.on('error', () => undefined);
  await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
  stuck.write(`POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);

  const grpc = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.grpcPort}`);
  const stream = grpc.duplex('ModelStreamInfer');
  const streamEnded = new Promise<number>((resolve) => {
    stream.on('error', () => resolve(Date.now()));
    stream.on('end', () => resolve(Date.now()));
  });
  const firstAnswer = new Promise<unknown>((resolve) => stream.once('data', resolve));
  stream.write({ model_name: 'simple', inputs: simpleRequest().inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, contents: { int_contents: i.data } })) });
  expect(await firstAnswer).toMatchObject({ error_message: '' });
  return { stuckClosed, streamEnded, release: () => { agent.destroy(); stuck.destroy(); grpc.close(); } };
}

function exitOf(ferry: FerryProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => {
    if (ferry.child.exitCode !== null) resolve({ code: ferry.child.exitCode, at: Date.now() });
    ferry.child.once('exit', (code) => resolve({ code, at: Date.now() }));
  });
}

describe('SIGTERM with connections that never finish', () => {
  it('a single server drains for the grace period, cuts the stuck request and the open gRPC stream, and exits 0', async () => {
    const ferry = await startFerryProcess({ env: { FERRY_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) } });
    const held = await holdConnections(ferry);
    try {
      const exited = exitOf(ferry);
      const signalled = Date.now();
      ferry.child.kill('SIGTERM');
      const { code, at } = await exited;
      expect(code).toBe(0);
      // It waited for the stuck request for the grace period, then cut it rather than waiting on.
      expect(at - signalled).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100);
      expect(at - signalled).toBeLessThan(EXIT_BOUND_MS);
      expect(await held.stuckClosed - signalled).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100);
      await held.streamEnded;
      expect(ferry.output()).toContain('grace period over: closing the connections still open');
      expect(ferry.output()).toContain('"msg":"ferry stopped"');
    } finally {
      held.release();
      await ferry.stop();
    }
  }, 90_000);

  it('with --workers 2 the primary and both workers exit within the bound', async () => {
    const ferry = await startFerryProcess({ args: ['--workers', '2'], env: { FERRY_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) }, startTimeoutMs: 60_000 });
    const workers = [...ferry.output().matchAll(/"msg":"worker started"/g)].length;
    expect(workers).toBe(2);
    const workerPids = ferry.output().split('\n').filter((l) => l.includes('"msg":"worker started"')).map((l) => JSON.parse(l).pid as number);
    const held = await holdConnections(ferry);
    try {
      const exited = exitOf(ferry);
      const signalled = Date.now();
      ferry.child.kill('SIGTERM');
      const { code, at } = await exited;
      expect(code).toBe(0);
      expect(at - signalled).toBeLessThan(EXIT_BOUND_MS);
      for (const pid of workerPids) expect(processesMatching(String(pid)).filter((p) => p === pid)).toEqual([]);
      expect(ferry.output()).toContain('grace period over: closing the connections still open');
    } finally {
      held.release();
      await ferry.stop();
    }
  }, 120_000);

  it('a second SIGTERM while draining exits at once, with 1', async () => {
    const ferry = await startFerryProcess({ env: { FERRY_SHUTDOWN_GRACE_SECONDS: '60' } });
    const held = await holdConnections(ferry);
    try {
      const exited = exitOf(ferry);
      ferry.child.kill('SIGTERM');
      // A repeat within 500 ms of the first counts as the same request (src/cli/shutdown.ts): the second goes 1 s
      // after the server says it drains, however late it took the first.
      const deadline = Date.now() + 30_000;
      while (!ferry.output().includes('"msg":"draining in-flight requests"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(ferry.output()).toContain('"msg":"draining in-flight requests"');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(ferry.child.exitCode, 'still draining the stuck request').toBeNull();
      const second = Date.now();
      ferry.child.kill('SIGTERM');
      const { code, at } = await exited;
      expect(code).toBe(1);
      expect(at - second).toBeLessThan(5_000);
      expect(ferry.output()).toContain('second stop request: exiting now');
    } finally {
      held.release();
      await ferry.stop();
    }
  }, 60_000);
});

describe('npm start', () => {
  /** `npm start` on ephemeral ports; its data dir, unique to this run, names the server's processes. */
  async function npmStart() {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-npm-start-'));
    const npm = tracked(spawn('npm', ['start', '--', '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--data-dir', dataDir], {
      cwd: REPO_ROOT, env: { ...process.env, FERRY_HTTP_PORT: '', FERRY_GRPC_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    }));
    let output = '';
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not serve: ${output.slice(-2000)}`)), 60_000);
      npm.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"msg":"ferry serving"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const servers = processesMatching(`serve examples/models --http-port 0 --grpc-port 0 --poll-seconds 0 --data-dir ${dataDir}`).filter((pid) => pid !== npm.pid);
    expect(servers, 'one ferry process besides npm').toHaveLength(1);
    return { npm, dataDir, output: () => output, exited: new Promise<void>((resolve) => npm.once('exit', () => resolve())) };
  }

  it.each(['SIGTERM', 'SIGKILL'] as const)('leaves no ferry process behind when npm gets %s', async (signal) => {
    const started = await npmStart();
    try {
      started.npm.kill(signal);
      await started.exited;
      // SIGTERM reaches ferry itself (the script execs it); after SIGKILL ferry sees its parent gone and drains.
      expect(await waitUntilNoneMatch(`--data-dir ${started.dataDir}`, 20_000)).toEqual([]);
    } finally {
      for (const pid of processesMatching(`--data-dir ${started.dataDir}`)) process.kill(pid, 'SIGKILL');
      await rm(started.dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
