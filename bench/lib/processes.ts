import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = process.execPath;

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node <script> ...args` and resolves once a stdout line matches `ready`; `portFrom` reads the URL from it. */
export async function startProcess(args: readonly string[], ready: RegExp, urlFrom: (line: string) => string, env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 30_000): Promise<ServerProcess> {
  const child = spawn(NODE, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let partial = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${args.join(' ')} did not become ready within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    child.on('exit', (code) => reject(new Error(`process ${args.join(' ')} exited with ${code}`)));
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      const line = lines.find((l) => ready.test(l));
      if (line) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining the server's output once ready, without holding on to it
        resolve(urlFrom(line));
      }
    };
    child.stdout!.on('data', onData);
  });
  return {
    url,
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/**
 * `ferry serve` in a child process, so that the load generator does not share its event loop. `readyTimeoutMs`: how
 * long it may take to serve (several workers each loading the repository take longer on a busy machine).
 */
export function startFerryProcess(extraArgs: readonly string[] = [], repository = 'examples/models', env: NodeJS.ProcessEnv = {}, readyTimeoutMs?: number): Promise<ServerProcess> {
  return startProcess(
    ['bin/ferry.js', 'serve', repository, '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info', ...extraArgs],
    /"msg":"ferry serving"/,
    (line) => `http://${JSON.parse(line).http}`,
    env,
    readyTimeoutMs,
  );
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
