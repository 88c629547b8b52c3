/**
 * One running worker (a Python process, a JS worker thread) as its supervisor sees it. Calls in flight when the
 * worker stops are rejected with WorkerExit.
 */
export interface WorkerHandle {
  /** Resolves once, when the worker has stopped (exit, crash, kill), with why. */
  readonly exited: Promise<string>;
  /** A round trip that proves the worker's loop is turning. */
  ping(): Promise<void>;
  /** Stops the worker at once. */
  kill(): void;
  /** Asks the worker to finish and waits for it, killing it after a grace period. */
  close(): Promise<void>;
}

/** The worker stopped before answering the call. */
export class WorkerExit extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = 'WorkerExit';
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
