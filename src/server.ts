import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import path from 'node:path';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { loadConfig, type FerryConfig } from './config/index.ts';
import { DataPlane } from './dataplane/index.ts';
import { ferryError } from './errors/index.ts';
import { ModelManager, type ExecutorFactory } from './models/index.ts';
import { createLogger, type Logger } from './observe/logger.ts';
import { FerryMetrics } from './observe/metrics.ts';
import { acceptSocketCount, assertPortFree, closeServers, openExtraAcceptors } from './protocol/http/accept-sockets.ts';
import { inferenceGuard } from './protocol/http/inference-auth.ts';
import { createAuthorizer, tokensFromConfig } from './protocol/http/management-auth.ts';
import type { ProtocolLimits } from './protocol/http/limits.ts';
import { managementRoutes } from './management/routes.ts';
import { graphRoutes } from './management/graph-routes.ts';
import { mlflowRegistryRoutes } from './management/mlflow-registry.ts';
import { registerOpenApi } from './management/openapi.ts';
import type { GraphService } from './graph/index.ts';
import { serverGraphs } from './server-graphs.ts';
import { serverRegistry } from './server-registry.ts';
import { createInferFastPath, repositoryLoadBodyLimit, v2RestRoutes } from './protocol/v2-rest/index.ts';
import { tfServingRestRoutes } from './protocol/tfserving-rest/index.ts';
import { seldonRoutes } from './protocol/seldon/index.ts';
import { mlflowRoutes } from './protocol/mlflow/index.ts';
import { createGrpcServer } from './protocol/v2-grpc/index.ts';
import { answerClientError } from './protocol/http/client-error.ts';
import { startDecodeThreads } from './protocol/offload/decode-pool.ts';
import { ConnectionLimit } from './protocol/transport/connection-limit.ts';
import { HttpAdmission } from './protocol/transport/http-admission.ts';
import { httpServerTimeouts } from './protocol/transport/http-timeouts.ts';
import { InflightBudget } from './protocol/transport/inflight-budget.ts';
import { connectionCap, raiseOpenFileLimit } from './protocol/transport/open-files.ts';
import { tlsServerOptions, watchTlsFiles, type TlsFileSettings } from './protocol/transport/tls-files.ts';
import { builtinRuntimes } from './runtimes/builtin.ts';
import type { Runtime } from './runtimes/runtime.ts';
import { LoadSandbox } from './runtimes/sandbox/load-sandbox.ts';
import { codeSettings } from './server-code.ts';
import { servingExecutorFactory } from './server-executors.ts';
import { createObservability } from './server-observe.ts';
import { FERRY_VERSION } from './version.ts';

export interface ServerOptions {
  readonly config?: Readonly<FerryConfig>;
  readonly logger?: Logger;
  readonly runtimes?: readonly Runtime[];
  readonly executorFactory?: ExecutorFactory;
  /**
   * Set in a worker of `ferry serve --workers N`: its ports are shared with the other workers (SO_REUSEPORT; the
   * primary checked they were free), /metrics answers what `renderMetrics` gives (all workers, aggregated), and it
   * announces itself as a worker.
   */
  readonly worker?: { readonly index: number; readonly renderMetrics: () => Promise<{ contentType: string; body: string }> };
}

export interface FerryServer {
  readonly config: Readonly<FerryConfig>;
  readonly dataplane: DataPlane;
  readonly manager: ModelManager;
  readonly metrics: FerryMetrics;
  /** The inference graphs served beside the models. */
  readonly graphs: GraphService;
  readonly http: FastifyInstance;
  /**
   * Listens (live, not yet started nor ready), then scans the repository and loads models; resolves with the bound
   * ports once the first scan has finished and the server reports ready.
   */
  start(): Promise<{ httpPort: number; grpcPort?: number }>;
  /** Stops taking requests, lets in-flight ones finish, then unloads every model. */
  stop(): Promise<void>;
}

/** The composition root: the only place that wires every layer together. */
export function createServer(options: ServerOptions = {}): FerryServer {
  const config = options.config ?? loadConfig();
  const worker = options.worker;
  const logger = options.logger ?? createLogger(config.log_level);
  const metrics = new FerryMetrics();
  const executors = servingExecutorFactory(metrics, logger, config.cache.url);
  // The health callback runs only once the server starts, after `dataplane` below exists.
  const registry = serverRegistry(config, logger.child({ component: 'registry' }), (state) => {
    metrics.registryHealth.reachable.set(state.reachable ? 1 : 0);
    if (!state.reachable) metrics.registryHealth.failures.inc();
    if (state.lastContact !== undefined) metrics.registryHealth.lastContact.set(state.lastContact / 1000);
    dataplane.setDegraded('registry', state.reachable ? undefined : { detail: state.detail, failures: state.failures, ...(state.lastContact ? { last_contact: new Date(state.lastContact).toISOString() } : {}) });
  });
  const sandbox = new LoadSandbox({ memoryMb: config.repository.load_memory_mb, timeoutMs: config.repository.load_timeout_seconds * 1000 });
  const manager = new ModelManager({
    root: path.resolve(config.model_repository),
    allowedPaths: config.repository.allowed_paths.map((p) => path.resolve(p)),
    uploadMaxBytes: config.repository.upload_max_bytes,
    source: registry.source,
    runtimes: options.runtimes ?? builtinRuntimes({ sandbox, code: codeSettings(config) }),
    executorFactory: options.executorFactory ?? executors.factory,
    logger,
    threads: { intraOp: config.runtime.intra_op_threads, interOp: config.runtime.inter_op_threads },
    onLoadFailure: (model, version) => metrics.models.loadFailures.inc({ model, version: String(version) }),
  });
  metrics.models.watch({
    *versions() {
      for (const m of manager.models()) for (const v of m.versions.values()) yield { model: m.name, version: String(v.version), state: v.state };
    },
    *fallbacks() {
      for (const m of manager.models()) {
        const fallback = m.fallback();
        if (fallback) yield { model: m.name, version: String(fallback.version) };
      }
    },
  });
  const observe = createObservability(config, logger, metrics);
  const dataplane = new DataPlane(manager, {
    observer: metrics, serverVersion: FERRY_VERSION, checkTimeoutMs: config.readiness.check_timeout_ms,
    exchanges: observe.payloadLog, tracer: observe.tracer,
    readiness: { require: config.readiness.require, minReady: config.readiness.min_ready },
  });
  const graphs = serverGraphs(config, dataplane, manager, metrics, logger.child({ component: 'graph' }), () => registry.service().store, async (aliases) => {
    // `model@alias` in a graph names a registry alias where the model follows the registry: serve that version too.
    // A model.yaml label of that name wins: it is not looked up in the registry.
    const registryAliases = new Map([...aliases].map(([model, names]) => {
      const labels = manager.has(model) ? manager.model(model).config.labels ?? {} : {};
      return [model, new Set([...names].filter((alias) => labels[alias] === undefined))] as const;
    }));
    const changed = registry.source.followGraphAliases(registryAliases);
    if (changed.length > 0) await manager.refresh(changed);
  });
  const authorize = createAuthorizer({ tokens: tokensFromConfig(config.auth), allowLoopbackWithoutToken: config.auth.allow_loopback_without_token });
  // Repository load/unload change what serves: the same rule as the registry's writes.
  const authorizeManagement = (request: Parameters<typeof authorize>[0]) => {
    authorize(request, 'write');
  };

  // With `auth.inference: token`, data-plane calls need the `infer` scope; probes and metrics stay open.
  const inferenceAuth = config.auth.inference === 'token';
  const guardInference = inferenceAuth ? inferenceGuard(authorize) : undefined;
  const authorizeInference = inferenceAuth ? (request: Parameters<typeof authorize>[0]) => void authorize(request, 'infer') : undefined;

  let stopping: Promise<void> | undefined;
  // Memory held by request bodies, over every protocol, and connections, over every listening socket.
  const inflight = new InflightBudget(config.limits.inflight_bytes);
  // The repository load route reads uploads (base64 in JSON) beyond the body limit; nothing else reads more.
  const largestBody = repositoryLoadBodyLimit(config.http.body_limit_bytes, config.repository.upload_max_bytes);
  const admission = new HttpAdmission(inflight, largestBody);
  // Raise the open-file limit where allowed, and keep connections below it so files can still be opened.
  const openFiles = raiseOpenFileLimit();
  const maxConnections = connectionCap(config.limits.max_connections, openFiles, config.limits.fd_reserve);
  if (openFiles !== undefined) logger.info({ soft: openFiles.soft, hard: openFiles.hard, before: openFiles.before, max_connections: maxConnections }, 'open-file limit');
  const connections = new ConnectionLimit({
    max: maxConnections,
    setting: maxConnections < config.limits.max_connections
      ? `the open-file limit ${openFiles?.soft} less limits.fd_reserve ${config.limits.fd_reserve}`
      : 'limits.max_connections / FERRY_LIMITS_MAX_CONNECTIONS',
    firstRequestTimeoutMs: config.http.headers_timeout_ms,
  });
  const limits = protocolLimits(config);
  const inferFastPath = createInferFastPath({
    dataplane, bodyLimit: config.http.body_limit_bytes, limits, stopping: () => stopping !== undefined,
    takeStreamed: (req, bytes) => admission.takeStreamed(req, bytes),
  });
  // V2 infer, the hot route, is answered on Node's server before Fastify routes anything else.
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let routeWithFastify: Handler | undefined;
  const timeouts = httpServerTimeouts({
    headersTimeoutMs: config.http.headers_timeout_ms,
    requestTimeoutMs: config.http.request_timeout_ms,
    keepAliveTimeoutMs: config.http.keep_alive_timeout_ms,
  });
  const tls: TlsFileSettings | undefined = config.tls.cert_file !== undefined && config.tls.key_file !== undefined
    ? { certFile: config.tls.cert_file, keyFile: config.tls.key_file, clientCaFile: config.tls.client_ca_file, reloadIntervalMs: config.tls.reload_interval_ms }
    : undefined;
  const tlsServers: HttpsServer[] = [];
  // HTTPS when TLS is configured: Fastify and the fast path see the same request and response objects either way.
  const createPlainOrTls = (listener: RequestListener): Server => {
    if (tls === undefined) return createHttpServer(timeouts, listener);
    const server = createHttpsServer({ ...timeouts, ...tlsServerOptions(tls), handshakeTimeout: config.http.headers_timeout_ms }, listener);
    tlsServers.push(server);
    return server as unknown as Server;
  };
  const makeHttpServer = (handler: Handler): Server => {
    const { httpAccess } = observe;
    const server = createPlainOrTls((req, res) => {
      if (httpAccess !== undefined) httpAccess(req, res);
      connections.request(req, res);
      if (guardInference !== undefined && !guardInference(req, res)) return;
      if (!admission.admit(req, res)) return;
      if (!inferFastPath.handle(req, res)) handler(req, res);
    });
    // `Expect: 100-continue`: a request that would be refused before its body is read (queue full, too large, no
    // room in the in-flight budget) is answered at once and its body is never sent; any other gets `100 Continue`.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (httpAccess !== undefined) httpAccess(req, res);
      connections.request(req, res);
      if (guardInference !== undefined && !guardInference(req, res)) return;
      if (!admission.admit(req, res)) return;
      if (inferFastPath.handle(req, res, true)) return;
      res.writeContinue();
      handler(req, res);
    });
    connections.watch(server, tls !== undefined);
    return server;
  };
  const acceptSockets = acceptSocketCount(config.http.accept_sockets);
  let extraAcceptors: Server[] = [];
  const http = fastify({
    serverFactory: (handler) => {
      routeWithFastify ??= handler;
      return makeHttpServer(handler);
    },
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.http.body_limit_bytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
  });
  observe.traceFastify(http, dataplane);
  // Bodies without a declared length count against the in-flight budget as Fastify's routes read them.
  http.addHook('preParsing', (request, _reply, payload, done) => {
    done(null, admission.meter(request.raw, payload));
  });
  http.setNotFoundHandler((request, reply) => {
    const error = ferryError('FERRY_ERR_ROUTE_NOT_FOUND', { method: request.method, path: request.url.split('?')[0]!.slice(0, 200) });
    void reply.code(error.http).send({ error: error.message });
  });
  http.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await (worker?.renderMetrics() ?? metrics.render());
    return reply.header('content-type', contentType).send(body);
  });
  void registerOpenApi(http, FERRY_VERSION);
  void http.register(managementRoutes, {
    registry: () => registry.service(),
    uploads: registry.uploads,
    authorize,
    servingStatus: () => ({
      registry: {
        reachable: registry.health.state.reachable,
        failures: registry.health.state.failures,
        ...(registry.health.state.detail ? { detail: registry.health.state.detail } : {}),
        ...(registry.health.state.lastContact ? { last_contact: new Date(registry.health.state.lastContact).toISOString() } : {}),
      },
      models: manager.models().map((m) => ({
        name: m.name,
        origin: m.origin,
        versions: [...m.versions.values()].sort((a, b) => b.version - a.version).map((v) => ({ version: v.version, state: v.state, ...(v.reason ? { reason: v.reason } : {}) })),
        ...(m.configError ? { config_error: m.configError } : {}),
      })),
    }),
  });
  void http.register(mlflowRegistryRoutes, { registry: () => registry.service(), authorize });
  void http.register(graphRoutes, { graphs: graphs.service, traffic: graphs.traffic, authorize });
  void http.register(v2RestRoutes, {
    dataplane,
    bodyLimit: config.http.body_limit_bytes,
    uploadMaxBytes: config.repository.upload_max_bytes,
    limits,
    settings: { tracing: config.tracing.enabled, logLevel: config.log_level },
    authorizeManagement,
  });
  void http.register(tfServingRestRoutes, { dataplane, bodyLimit: config.http.body_limit_bytes, limits });
  const onFeedback = (model: string, reward: number) => {
    metrics.serving.feedback.inc({ model });
    if (reward > 0) metrics.serving.feedbackReward.inc({ model }, reward);
  };
  void http.register(seldonRoutes, { dataplane, bodyLimit: config.http.body_limit_bytes, limits, onFeedback });
  void http.register(mlflowRoutes, { dataplane, bodyLimit: config.http.body_limit_bytes, limits });

  const grpc = config.grpc.enabled
    ? createGrpcServer({
      dataplane, host: config.http.host, port: config.grpc.port, maxMessageBytes: config.grpc.max_message_bytes,
      ...(tls ? { tls } : {}),
      authorizeManagement, shapeLimits: limits, limits, onFeedback, ...(authorizeInference ? { authorizeInference } : {}), shutdownGraceMs: config.shutdown_grace_seconds * 1000, inflight,
      connections: {
        maxConcurrentStreams: config.grpc.max_concurrent_streams,
        idleTimeoutMs: config.grpc.idle_timeout_ms,
        maxConnectionAgeMs: config.grpc.max_connection_age_ms,
        maxConnectionAgeGraceMs: config.grpc.max_connection_age_grace_ms,
      },
      ...(observe.grpcAccess ? { onCallEnd: observe.grpcAccess } : {}),
      admitConnection: (socket) => connections.admit(socket),
    })
    : undefined;

  // While draining, answer in-flight requests with Connection: close so keep-alive clients let go of their sockets.
  http.addHook('onSend', (_request, reply, payload, done) => {
    if (stopping) reply.header('connection', 'close');
    done(null, payload);
  });
  let stopWatchingTls: (() => void) | undefined;
  return {
    config, dataplane, manager, metrics, http, graphs: graphs.service,
    async start() {
      let httpPort = config.http.port;
      let grpcPort: number | undefined;
      startDecodeThreads();
      const listen = async () => {
        try {
          await listening('HTTP', config.http.host, config.http.port, async () => {
            const shared = acceptSockets > 1 || worker !== undefined;
            if (shared && worker === undefined) await assertPortFree(config.http.host, config.http.port);
            // Fastify hands its listen options to Node's server.listen, reusePort included (its types do not list it).
            const listenOptions = { host: config.http.host, port: config.http.port, reusePort: shared };
            await http.listen(listenOptions);
            extraAcceptors = await openExtraAcceptors(http.server, () => makeHttpServer(routeWithFastify!), acceptSockets);
          });
          const address = http.server.address();
          httpPort = typeof address === 'object' && address ? address.port : config.http.port;
          if (grpc) grpcPort = await listening('gRPC', config.http.host, config.grpc.port, () => grpc.start());
        } catch (error) {
          await Promise.all([http.close(), closeServers(extraAcceptors), grpc?.stop()]);
          if (worker !== undefined) {
            // A worker has loaded its models before it listens.
            await manager.close();
            await registry.close();
          }
          await sandbox.close();
          throw error;
        }
        if (tls !== undefined) {
          stopWatchingTls = watchTlsFiles(tls, (context) => {
            for (const server of tlsServers) server.setSecureContext(context);
            logger.info({ cert_file: tls.certFile }, 'TLS certificate reloaded');
          }, (error) => logger.warn({ err: error, cert_file: tls.certFile }, 'TLS files changed but do not load; the current certificate stays'));
        }
      };
      const load = async () => {
        try {
          await registry.open((models) => manager.refresh(models));
          await manager.sync();
          await graphs.load();
        } catch (error) {
          await Promise.all([http.close(), closeServers(extraAcceptors), grpc?.stop()]);
          await manager.close();
          await sandbox.close();
          await registry.close();
          throw error;
        }
      };
      if (worker === undefined) {
        // Listen first: probes answer (live; not started, not ready) while a large repository is still loading.
        await listen();
        logger.info({ http: `${config.http.host}:${httpPort}`, ...(grpc ? { grpc: `${config.http.host}:${grpcPort}` } : {}) }, 'listening; loading models');
        await load();
      } else {
        // A worker shares its ports with serving siblings: the kernel would hand it connections it could only
        // refuse while it loads (a restarted worker above all), so it listens once its models are loaded.
        await load();
        await listen();
      }
      manager.startPolling(config.poll_seconds);
      graphs.startPolling(config.poll_seconds);
      dataplane.setReady(true);
      const where = { http: `${config.http.host}:${httpPort}`, ...(grpc ? { grpc: `${config.http.host}:${grpcPort}` } : {}), repository: manager.root, models: manager.models().length };
      if (worker) logger.info({ ...where, worker: worker.index }, 'worker serving');
      else logger.info(where, 'ferry serving');
      return grpcPort === undefined ? { httpPort } : { httpPort, grpcPort };
    },
    stop() {
      stopping ??= (async () => {
        dataplane.beginShutdown();
        stopWatchingTls?.();
        const sweep = setInterval(() => {
          for (const server of [http.server, ...extraAcceptors]) server.closeIdleConnections();
        }, 100);
        // Past the grace period, connections still open (a request that never completes, a client that never
        // reads) are cut, so that the process exits in bounded time; gRPC's stop() forces its own at the same time.
        const cut = setTimeout(() => {
          logger.warn({ grace_seconds: config.shutdown_grace_seconds }, 'grace period over: closing the connections still open');
          for (const server of [http.server, ...extraAcceptors]) server.closeAllConnections();
        }, config.shutdown_grace_seconds * 1000);
        try {
          await Promise.all([http.close(), closeServers(extraAcceptors), grpc?.stop()]);
        } finally {
          clearInterval(sweep);
          clearTimeout(cut);
        }
        await graphs.close();
        await manager.close();
        await sandbox.close();
        await executors.close();
        await registry.close();
        await observe.close();
        logger.info('ferry stopped');
      })();
      return stopping;
    },
  };
}

/** Binding a port fails with the transport's own words; say which server, address and setting it was. */
async function listening<T>(what: string, host: string, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const setting = what === 'HTTP' ? '--http-port / http.port' : '--grpc-port / grpc.port';
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${what} cannot listen on ${host}:${port} (${setting}): ${(error as Error).message}` }, error);
  }
}

/** The `limits` config section as the protocol adapters take it. */
function protocolLimits(config: Readonly<FerryConfig>): ProtocolLimits {
  const { limits } = config;
  return {
    maxRank: limits.max_rank,
    maxElements: limits.max_elements,
    maxJsonDepth: limits.max_json_depth,
    maxStringLength: limits.max_string_length,
    maxResponseBytes: limits.max_response_bytes,
  };
}
