import path from 'node:path';
import { pino } from 'pino';
import type { FerryConfig } from '../config/index.ts';
import { DataPlane } from '../dataplane/index.ts';
import { ModelManager, type ModelSource } from '../models/index.ts';
import { createLogger, type Logger } from '../observe/logger.ts';
import { FerryMetrics } from '../observe/metrics.ts';
import { builtinRuntimes } from '../runtimes/builtin.ts';
import { LoadSandbox } from '../runtimes/sandbox/load-sandbox.ts';
import { servingExecutorFactory } from '../server-executors.ts';
import { FERRY_VERSION } from '../version.ts';

/** A repository's models loaded as `ferry serve` loads them, reachable through the data plane, with no port open. */
export interface OfflineModels {
  readonly manager: ModelManager;
  readonly dataplane: DataPlane;
  readonly logger: Logger;
  close(): Promise<void>;
}

export interface OfflineOptions {
  readonly config: Readonly<FerryConfig>;
  /** What to load; the whole repository at `config.model_repository` by default. */
  readonly source?: ModelSource;
}

/**
 * The serving composition without its network edge: the same runtimes (load sandbox included), the same per-version
 * scheduler and batching, the same request validation. `ferry validate` and `ferry predict` use it so that what
 * they report is what `ferry serve` would do. Logs go to stderr, so stdout stays the command's own output.
 */
export async function openOfflineModels(options: OfflineOptions): Promise<OfflineModels> {
  const { config } = options;
  const logger = createLogger(config.log_level, pino.destination(2));
  const metrics = new FerryMetrics();
  const executors = servingExecutorFactory(metrics, logger, config.cache.url);
  // Everything loads once, at the start: the sandbox thread is stopped as soon as it is idle, to give its memory back.
  const sandbox = new LoadSandbox({ memoryMb: config.repository.load_memory_mb, timeoutMs: config.repository.load_timeout_seconds * 1000, idleMs: 0 });
  const manager = new ModelManager({
    root: path.resolve(config.model_repository),
    allowedPaths: config.repository.allowed_paths.map((p) => path.resolve(p)),
    ...(options.source ? { source: options.source } : {}),
    runtimes: builtinRuntimes({ sandbox }),
    executorFactory: executors.factory,
    logger,
    threads: { intraOp: config.runtime.intra_op_threads, interOp: config.runtime.inter_op_threads },
  });
  const dataplane = new DataPlane(manager, { serverVersion: FERRY_VERSION });
  const close = async () => {
    await manager.close();
    await sandbox.close();
    await executors.close();
  };
  try {
    await manager.sync();
  } catch (error) {
    await close();
    throw error;
  }
  dataplane.setReady(true);
  return { manager, dataplane, logger, close };
}
