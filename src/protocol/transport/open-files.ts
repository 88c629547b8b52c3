import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface OpenFileLimit {
  readonly soft: number;
  readonly hard: number;
  /** The soft limit before it was raised. */
  readonly before: number;
}

/** RLIMIT_NOFILE of this process from /proc (Linux); undefined elsewhere or when unlimited. */
export function openFileLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const soft = Number(line?.[1]);
    const hard = Number(line?.[2]);
    return Number.isFinite(soft) && Number.isFinite(hard) ? { soft, hard } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises the soft open-file limit to the hard one. Node has no setrlimit, so util-linux's `prlimit` sets it on this
 * process (Linux); where it is missing or not allowed, the limit stays and the caller sizes itself to it.
 */
export function raiseOpenFileLimit(): OpenFileLimit | undefined {
  const limit = openFileLimit();
  if (limit === undefined) return undefined;
  if (limit.soft < limit.hard) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit.hard}:${limit.hard}`], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // no prlimit here, or not permitted: keep the soft limit
    }
  }
  const now = openFileLimit() ?? limit;
  return { ...now, before: limit.soft };
}

/**
 * Connections the process may hold: the configured cap, or the open-file limit less a reserve kept for model
 * files, logs, the registry and the connections health checks need, whichever is lower.
 */
export function connectionCap(configured: number, limit: OpenFileLimit | undefined, reserve: number): number {
  if (limit === undefined) return configured;
  return Math.max(8, Math.min(configured, limit.soft - reserve));
}
