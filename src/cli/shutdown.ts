import type { Logger } from '../observe/logger.ts';

/** After the grace period, closing what is left (models, workers, sinks) gets this long before the process exits anyway. */
export const CLEANUP_BOUND_MS = 5_000;

/**
 * One Ctrl-C reaches the whole process group and the parent forwards it too (npm, the primary of --workers): a
 * repeat this soon after the first is the same request, not a second one.
 */
const SAME_REQUEST_MS = 500;

/** How often a process started by a package script checks that its parent still runs. */
const PARENT_POLL_MS = 1_000;

export interface ShutdownOptions {
  /** Drains and closes everything; resolves when the process may exit. */
  readonly stop: () => Promise<void>;
  readonly graceMs: number;
  readonly logger: Logger;
  /** The longest the whole shutdown may take (default: the grace period plus CLEANUP_BOUND_MS). */
  readonly boundMs?: number;
  /** Before exiting without a finished stop() (second signal, bound reached): kills the child processes it drains. */
  readonly beforeForcedExit?: () => void;
}

/**
 * SIGTERM and SIGINT drain the process; it exits 0 once stop() resolves, 1 if stop() fails or has not resolved
 * within boundMs (stop() itself cuts connections still open when the grace period ends). A second signal exits
 * at once. Returns the function that starts the same drain for another reason.
 */
export function installShutdown(options: ShutdownOptions): (reason: string) => void {
  const { stop, graceMs, logger } = options;
  const boundMs = options.boundMs ?? graceMs + CLEANUP_BOUND_MS;
  let drainingSince: number | undefined;
  const shutdown = (reason: string) => {
    if (drainingSince !== undefined) {
      if (Date.now() - drainingSince < SAME_REQUEST_MS) return;
      logger.warn({ reason }, 'second stop request: exiting now');
      options.beforeForcedExit?.();
      process.exit(1);
    }
    drainingSince = Date.now();
    logger.info({ reason, grace_ms: graceMs }, 'draining in-flight requests');
    const hardStop = setTimeout(() => {
      logger.error({ reason, waited_ms: boundMs }, 'shutdown did not finish in time: exiting');
      options.beforeForcedExit?.();
      process.exit(1);
    }, boundMs);
    hardStop.unref();
    stop().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return shutdown;
}

/**
 * Under a package script (`npm start`), the script runner is the parent: when it is killed outright (SIGKILL, a
 * crash) nothing forwards a signal, and the server would serve on as an orphan nobody stops. It drains instead once
 * its parent is gone (it has been re-parented). Elsewhere — a container's PID 1, systemd, `nohup ferry serve &` —
 * outliving the parent is what the user asked for, so nothing is watched.
 */
export function exitWithPackageScript(shutdown: (reason: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  if (env['npm_lifecycle_event'] === undefined) return;
  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(poll);
    shutdown('parent process exited');
  }, PARENT_POLL_MS);
  poll.unref();
}
