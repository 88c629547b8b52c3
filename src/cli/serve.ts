import type { Command } from 'commander';
import { loadConfig, type FerryConfig } from '../config/index.ts';
import { ferryError, isFerryError } from '../errors/index.ts';
import { createLogger, type Logger } from '../observe/logger.ts';
import { routeGrpcLogs } from '../protocol/v2-grpc/index.ts';
import { misplacedRepository } from '../repository/layout-hints.ts';
import { createServer } from '../server.ts';
import { pinHeapGrowing } from './heap-growing.ts';
import { exitWithPackageScript, installShutdown } from './shutdown.ts';
import { announceListening, metricsFromPrimary, runPrimary, shareRegistry, workerAssignment, workerCount } from './workers.ts';

interface ServeFlags {
  httpPort?: string;
  grpcPort?: string;
  host?: string;
  pollSeconds?: string;
  logLevel?: string;
  config?: string;
  model?: string[];
  dataDir?: string;
  registryStore?: string;
  workers?: string;
  allowCode?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve every model in a model repository over REST (V2, TF Serving, Seldon, MLflow) and gRPC (V2)')
    .argument('[dir]', 'model repository: DIR/<model>/<version>/<files> (default ./models, or model_repository in ferry.yaml)')
    .option('--http-port <port>', 'HTTP port (default 8080)')
    .option('--grpc-port <port>', 'gRPC port (default 8081)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--poll-seconds <n>', 'repository re-scan interval in seconds, 0 = off (default 5)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (default info)')
    .option('--config <file>', 'ferry.yaml to read (default ./ferry.yaml when present)')
    .option('--model <name=uri>', 'serve a model from the registry, following the reference (repeatable): fraud=models:/fraud@champion', collect, [])
    .option('--data-dir <dir>', 'where the SQLite registry and artifact cache live (default ./ferry-data)')
    .option('--registry-store <url>', 'registry store: sqlite:<file> or postgres://... (default sqlite:<data-dir>/registry.db)')
    .option('--allow-code', 'load models as code (model.py, model.js, MLflow Python flavors); off by default')
    .option('--workers <n>', 'server processes sharing the ports, each loading the repository; auto = one per core (default 1)')
    .action(async (dir: string | undefined, flags: ServeFlags) => {
      const assignment = workerAssignment();
      const config = loadConfig({
        file: flags.config,
        overrides: {
          model_repository: dir,
          poll_seconds: numberFlag(flags.pollSeconds),
          log_level: flags.logLevel,
          workers: numberFlag(flags.workers),
          // A worker listens where the primary chose (a flag's port 0 is resolved once, for all workers).
          http: { host: flags.host, port: assignment?.httpPort ?? numberFlag(flags.httpPort) },
          grpc: { port: assignment?.grpcPort ?? numberFlag(flags.grpcPort) },
          data_dir: flags.dataDir,
          runtime: flags.allowCode ? { allow_code: true } : undefined,
          registry: flags.registryStore === undefined ? undefined : { store: flags.registryStore },
          models: modelFlags(flags.model ?? []),
        },
      });
      const logger = createLogger(config.log_level);
      routeGrpcLogs(logger);
      try {
        // A model or version folder given as the repository would serve nothing, silently: say what to serve instead.
        const misplaced = await misplacedRepository(config.model_repository);
        if (misplaced !== undefined) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model_repository: ${misplaced}` });
        const workers = workerCount(config.workers);
        if (assignment === undefined && workers > 1) {
          await runPrimary({ workers, config, logger: logger.child({ component: 'primary' }) });
          return;
        }
        await serveOne(config, logger, assignment?.index);
      } catch (error) {
        failedToStart(logger, error);
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--model fraud=models:/fraud@champion` flags as the `models` map; none leaves ferry.yaml's. */
function modelFlags(flags: readonly string[]): Record<string, string> | undefined {
  if (flags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `--model '${flag}' must be name=models:/...` });
    out[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return out;
}

/** One server process: the whole of `ferry serve`, or one worker of `ferry serve --workers N`. */
async function serveOne(config: Readonly<FerryConfig>, logger: Logger, workerIndex: number | undefined): Promise<void> {
  pinHeapGrowing(config.runtime.heap_growing_percent);
  const serverLogger = workerIndex === undefined ? logger : logger.child({ worker: workerIndex });
  const server = createServer({
    config,
    logger: serverLogger,
    ...(workerIndex === undefined ? {} : { worker: { index: workerIndex, renderMetrics: metricsFromPrimary() } }),
  });
  if (workerIndex !== undefined) shareRegistry(server.metrics.registry);
  const shutdown = installShutdown({ stop: () => server.stop(), graceMs: config.shutdown_grace_seconds * 1000, logger: serverLogger });
  // A worker whose primary is gone (killed, crashed) drains and exits rather than serving on unsupervised.
  if (workerIndex !== undefined) process.on('disconnect', () => shutdown('primary exited'));
  else exitWithPackageScript(shutdown);
  await server.start();
  if (workerIndex !== undefined) announceListening();
}

/**
 * Once the logger exists, a start that fails (a port taken, the registry store unreachable) is one JSON log line
 * with the error's code, and exit status 1: the output stays machine-readable.
 */
function failedToStart(logger: Logger, error: unknown): never {
  if (isFerryError(error)) logger.fatal({ code: error.code }, error.message);
  else logger.fatal({ err: error }, 'ferry could not start');
  process.exit(1);
}

function numberFlag(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isNaN(n) ? value : n;
}
