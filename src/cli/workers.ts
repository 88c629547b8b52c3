import cluster, { type Worker } from 'node:cluster';
import { createServer as createNetServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { FerryConfig } from '../config/index.ts';
import { ferryError } from '../errors/index.ts';
import type { Logger } from '../observe/logger.ts';
import { assertPortFree } from '../protocol/http/accept-sockets.ts';
import { CLEANUP_BOUND_MS, exitWithPackageScript, installShutdown } from './shutdown.ts';

/** How `ferry serve` tells a worker its place and the ports the primary chose (port 0 resolved to a free one). */
const WORKER_ENV = 'FERRY_WORKER';
const METRICS_REQUEST = 'ferry:metrics-request';
const METRICS_RESPONSE = 'ferry:metrics-response';
const WORKER_LISTENING = 'ferry:worker-listening';

export interface WorkerAssignment {
  readonly index: number;
  readonly httpPort: number;
  readonly grpcPort: number;
}

/** `--workers N|auto` → a count: `auto` is the cores this process may use. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** This process's assignment when it is a worker of `ferry serve --workers N`, else undefined. */
export function workerAssignment(env: NodeJS.ProcessEnv = process.env): WorkerAssignment | undefined {
  if (!cluster.isWorker) return undefined;
  const raw = env[WORKER_ENV];
  return raw === undefined ? undefined : (JSON.parse(raw) as WorkerAssignment);
}

/** In a worker: makes `registry` the one the primary collects when it aggregates every worker's metrics. */
export function shareRegistry(registry: Registry): void {
  new AggregatorRegistry(); // installs the worker's answer to the primary's collection requests
  AggregatorRegistry.setRegistries([registry]);
}

/**
 * In a worker: what /metrics answers — the primary collects every worker's registry (prom-client's cluster
 * aggregation) and sends back the sum.
 */
export function metricsFromPrimary(): () => Promise<{ contentType: string; body: string }> {
  let next = 0;
  const waiting = new Map<number, (answer: { contentType: string; body: string }) => void>();
  process.on('message', (message: { type?: string; id?: number; contentType?: string; body?: string }) => {
    if (message?.type !== METRICS_RESPONSE || message.id === undefined) return;
    waiting.get(message.id)?.({ contentType: message.contentType!, body: message.body! });
    waiting.delete(message.id);
  });
  return () => new Promise((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(ferryError('FERRY_ERR_INTERNAL', { detail: 'the primary process did not answer for the workers\' metrics within 10 s' }));
    }, 10_000);
    waiting.set(id, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    process.send!({ type: METRICS_REQUEST, id });
  });
}

/** Tells the primary this worker listens. */
export function announceListening(): void {
  process.send?.({ type: WORKER_LISTENING });
}

/** A free port on `host` when `port` is 0 (ephemeral); else `port` itself, checked to be free. */
async function concretePort(host: string, port: number): Promise<number> {
  if (port !== 0) {
    await assertPortFree(host, port);
    return port;
  }
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, resolve);
  });
  const chosen = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return chosen;
}

export interface PrimaryOptions {
  readonly workers: number;
  readonly config: Readonly<FerryConfig>;
  readonly logger: Logger;
  /** Restarts of a worker that keeps dying wait this long, doubled per quick death (at most 30 s). */
  readonly restartDelayMs?: number;
}

/**
 * The primary of `ferry serve --workers N`: N worker processes, each loading the repository and listening on the
 * same ports (SO_REUSEPORT on HTTP, the cluster's shared handle on gRPC). A worker that dies is started again;
 * SIGTERM/SIGINT drain every worker (each as a single server drains) and exit 0 once all have.
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { config, logger, workers } = options;
  const host = config.http.host;
  const httpPort = await portOrConfigError('HTTP', host, config.http.port);
  const grpcPort = config.grpc.enabled ? await portOrConfigError('gRPC', host, config.grpc.port) : 0;
  const aggregator = new AggregatorRegistry();
  const restartBase = options.restartDelayMs ?? 1000;
  let stopping = false;
  const started = new Map<Worker, { index: number; at: number; delay: number }>();

  const fork = (index: number, delay = restartBase): Worker => {
    const assignment: WorkerAssignment = { index, httpPort, grpcPort };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(assignment) });
    started.set(worker, { index, at: Date.now(), delay });
    logger.info({ worker: index, pid: worker.process.pid }, 'worker started');
    return worker;
  };

  cluster.on('message', (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: METRICS_RESPONSE, id: message.id, contentType: aggregator.contentType, body }),
      (error: Error) => worker.send({ type: METRICS_RESPONSE, id: message.id, contentType: 'text/plain', body: `# metrics unavailable: ${error.message}\n` }),
    );
  });

  cluster.on('exit', (worker, code, signal) => {
    const info = started.get(worker);
    started.delete(worker);
    if (stopping || info === undefined) return;
    // A worker that dies soon after it started is restarted after a growing delay, so a crash loop does not spin.
    const quick = Date.now() - info.at < 10_000;
    const delay = quick ? Math.min(info.delay * 2, 30_000) : restartBase;
    logger.warn({ worker: info.index, pid: worker.process.pid, code, signal, restart_in_ms: quick ? info.delay : 0 }, 'worker exited; starting it again');
    setTimeout(() => {
      if (!stopping) fork(info.index, delay);
    }, quick ? info.delay : 0);
  });

  const listening = new Promise<void>((resolve, reject) => {
    let count = 0;
    const onMessage = (_worker: Worker, message: { type?: string }) => {
      if (message?.type !== WORKER_LISTENING) return;
      if (++count === workers) {
        cluster.off('message', onMessage);
        cluster.off('exit', onEarlyExit);
        resolve();
      }
    };
    // A worker that exits before every worker listens (a bad model repository, a port taken) fails the start.
    const onEarlyExit = (_worker: Worker, code: number | null) => {
      if (count < workers) reject(ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `a worker exited with code ${code} while starting; see its log above` }));
    };
    cluster.on('message', onMessage);
    cluster.on('exit', onEarlyExit);
  });

  const killWorkers = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
  };
  // Every worker drains as a single server does (its own grace and cleanup bound); the primary waits for them.
  const stopWorkers = () => new Promise<void>((resolve, reject) => {
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    logger.info({ workers: alive.length }, 'draining every worker');
    let failed = 0;
    let left = alive.length;
    const settle = () => (failed === 0 ? resolve() : reject(new Error(`${failed} worker(s) did not stop cleanly`)));
    if (left === 0) settle();
    for (const worker of alive) {
      worker.once('exit', (code) => {
        if (code !== 0) failed += 1;
        if (--left === 0) settle();
      });
      worker.process.kill('SIGTERM');
    }
  });
  const graceMs = config.shutdown_grace_seconds * 1000;
  const shutdown = installShutdown({
    stop: stopWorkers, graceMs, logger, boundMs: graceMs + 2 * CLEANUP_BOUND_MS, beforeForcedExit: killWorkers,
  });
  exitWithPackageScript(shutdown);

  for (let index = 0; index < workers; index++) fork(index);
  try {
    await listening;
  } catch (error) {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    throw error;
  }
  logger.info({ http: `${host}:${httpPort}`, ...(config.grpc.enabled ? { grpc: `${host}:${grpcPort}` } : {}), workers }, 'ferry serving');
}

async function portOrConfigError(what: string, host: string, port: number): Promise<number> {
  try {
    return await concretePort(host, port);
  } catch (error) {
    const setting = what === 'HTTP' ? '--http-port / http.port' : '--grpc-port / grpc.port';
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${what} cannot listen on ${host}:${port} (${setting}): ${(error as Error).message}` }, error);
  }
}
