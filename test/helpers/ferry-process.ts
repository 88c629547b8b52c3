import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stopChild, tracked } from './processes.ts';
import { EXAMPLE_MODELS, REPO_ROOT } from './server.ts';

export const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');

export interface FerryProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resident set size now, from /proc (Linux). */
  rssBytes(): number;
  stop(): Promise<void>;
}

export interface FerryProcessOptions {
  /** Example models copied into a scratch repository (default: `simple`). */
  readonly models?: readonly string[];
  /** A repository to serve instead of a scratch copy. */
  readonly repository?: string;
  /** FERRY_* variables and others for the process. */
  readonly env?: Record<string, string>;
  /** Extra `ferry serve` arguments. */
  readonly args?: readonly string[];
  /** A command the server runs under, such as `['prlimit', '--nofile=256:256']`. */
  readonly wrapper?: readonly string[];
  /** The line that says it serves (default: the `ferry serving` log line). */
  readonly readyLine?: RegExp;
  readonly startTimeoutMs?: number;
}

/** Starts `ferry serve` as its own process on ephemeral ports (for what only a process shows: RSS, limits, signals). */
export async function startFerryProcess(options: FerryProcessOptions = {}): Promise<FerryProcess> {
  const scratch = options.repository === undefined ? await mkdtemp(path.join(tmpdir(), 'ferry-proc-repo-')) : undefined;
  if (scratch !== undefined) {
    for (const model of options.models ?? ['simple']) await cp(path.join(EXAMPLE_MODELS, model), path.join(scratch, model), { recursive: true });
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ferry-proc-data-'));
  const argv = [
    ...(options.wrapper ?? []), NODE, 'bin/ferry.js', 'serve', options.repository ?? scratch!,
    '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info', '--data-dir', dataDir, ...(options.args ?? []),
  ];
  const child = tracked(spawn(argv[0]!, argv.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, FERRY_HTTP_PORT: '', FERRY_GRPC_PORT: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  };
  const line = await new Promise<string>((resolve, reject) => {
    const pattern = options.readyLine ?? /"msg":"ferry serving"/;
    const timer = setTimeout(() => reject(new Error(`ferry did not start within ${options.startTimeoutMs ?? 30_000} ms: ${output.slice(-3000)}`)), options.startTimeoutMs ?? 30_000);
    const look = () => {
      const match = output.split('\n').find((l) => pattern.test(l));
      if (match !== undefined) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited (${code}) before serving: ${output.slice(-3000)}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    await cleanup();
    throw error;
  });
  const logged = JSON.parse(line) as { http?: string; grpc?: string };
  const httpPort = Number(logged.http?.split(':').at(-1));
  const grpcPort = logged.grpc === undefined ? undefined : Number(logged.grpc.split(':').at(-1));
  return {
    child, pid: child.pid!, httpPort, grpcPort, url: `http://127.0.0.1:${httpPort}`,
    output: () => output,
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
    async stop() {
      await stopChild(child, 15_000);
      await cleanup();
    },
  };
}
