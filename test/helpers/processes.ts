import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Child processes a test file started and has not seen exit. `stopAll()` (in afterAll/afterEach) stops each with
 * SIGTERM and SIGKILL after a bound; if the test process itself exits first, each gets SIGKILL, so a failed or
 * timed-out test never leaves a server behind.
 */
const running = new Set<ChildProcess>();

process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Tracks `child` until it exits; returns it. */
export function tracked<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Stops every tracked child: SIGTERM, then SIGKILL for any still running after `graceMs`. */
export async function stopAll(graceMs = 10_000): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, graceMs)));
}

/** SIGTERM, then SIGKILL if `child` has not exited within `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(force);
}

/** Pids of live processes (zombies excluded) whose command line contains `text` (Linux /proc). */
export function processesMatching(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!cmdline.includes(text)) continue;
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      pids.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return pids.filter((pid) => pid !== process.pid);
}

/** Waits until no live process's command line contains `text`; resolves with the pids still there at the deadline. */
export async function waitUntilNoneMatch(text: string, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMatching(text);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pids of live processes (zombies excluded) whose working directory is `dir` or inside it (Linux /proc). */
export function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      pids.push(Number(entry));
    } catch {
      // the process exited while we looked, or is not ours to read
    }
  }
  return pids;
}

/** Where a `ferry serve` child says it serves: its `ferry serving` log line's addresses (host:port). */
export interface ServingAddresses {
  readonly http: string;
  readonly grpc: string;
}

/**
 * Waits for `child`'s `ferry serving` log line on stdout and returns its addresses; rejects with the output's tail
 * when the child exits first or `timeoutMs` passes.
 */
export function servingAddresses(child: ChildProcess, timeoutMs: number, what = 'ferry'): Promise<ServingAddresses> {
  return new Promise<ServingAddresses>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${buffered.slice(-2000)}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"msg":"ferry serving"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as ServingAddresses);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}: ${buffered.slice(-2000)}`));
    });
  });
}
