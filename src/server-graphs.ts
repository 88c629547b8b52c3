import { graphPaths, type FerryConfig } from './config/index.ts';
import type { DataPlane } from './dataplane/index.ts';
import type { ModelManager } from './models/index.ts';
import type { Logger } from './observe/logger.ts';
import type { FerryMetrics } from './observe/metrics.ts';
import type { RegistryStore } from './registry/index.ts';
import {
  DeploymentSync, FileGraphState, modelAliases, GateController, GraphService, loadDeployments, RegistryGraphState, syncGraphState, TrafficControl, V2RemoteCaller,
  type GraphStateStore,
} from './graph/index.ts';

/** The server's inference graphs: deployments loaded after the models, served through the data plane. */
export interface ServerGraphs {
  readonly service: GraphService;
  readonly traffic: TrafficControl;
  /** Where bandit state and traffic changes are kept (the registry store, else a file). */
  readonly state: GraphStateStore;
  /** Reads every deployment, validates it against the served models and serves it (or reports why not). */
  load(): Promise<void>;
  /**
   * Reads the deployments again and applies what changed: new, changed and deleted graphs. A deployment that no
   * longer loads leaves its graph serving as it was, with the error in its status.
   */
  reload(): Promise<void>;
  /** Reloads the deployments every `seconds` (0: never), beside the repository poll. */
  startPolling(seconds: number): void;
  /** Writes what bandits learnt and reads every replica's state now (also on a timer). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export function serverGraphs(
  config: Readonly<FerryConfig>, dataplane: DataPlane, manager: ModelManager, metrics: FerryMetrics, logger: Logger,
  registryStore: () => RegistryStore,
  /** Told the `model@alias` references of every deployment before they are validated (registry-backed models follow them). */
  followAliases: (aliases: ReadonlyMap<string, ReadonlySet<string>>) => Promise<void> = async () => undefined,
): ServerGraphs {
  const paths = graphPaths(config);
  const remote = new V2RemoteCaller();
  const stopping = new AbortController();
  const service = new GraphService({
    shadowSignal: stopping.signal,
    dataplane,
    metrics: metrics.graphs,
    remote,
    onShadowError: (graph, node, error) => logger.debug({ graph, node, err: (error as Error).message }, 'shadow call failed'),
  });
  const state: GraphStateStore = config.registry.enabled ? new RegistryGraphState(registryStore) : new FileGraphState(paths.stateFile);
  const traffic = new TrafficControl(() => state, metrics.graphs);
  const gates = new GateController(() => service.runners(), traffic, metrics.graphs, (event) => {
    const log = event.action === 'auto_rollback' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log(event, event.action === 'auto_rollback' ? 'canary rolled back by its gates' : 'canary gate');
  });
  const deployments = new DeploymentSync(service, (name) => manager.has(name));
  let timer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let reloading: Promise<void> | undefined;
  let syncing: Promise<void> | undefined;
  const syncAll = async (restoring: boolean) => {
    for (const runner of service.runners()) {
      try {
        await syncGraphState(runner, state, restoring);
      } catch (error) {
        logger.warn({ graph: runner.spec.name, store: state.kind, reason: (error as Error).message }, 'graph state not synced; retrying');
      }
      for (const [router, routerState] of runner.routers) traffic.publish(runner.spec.name, router, routerState);
    }
  };
  const sync = () => {
    syncing ??= syncAll(false).finally(() => {
      syncing = undefined;
    });
    return syncing;
  };
  /** Reads the deployments and applies them; graphs served anew start from the state the store holds. */
  const apply = async (initial: boolean) => {
    const set = await loadDeployments(paths.dir, config.graphs.deployments);
    try {
      await followAliases(modelAliases(set.graphs));
    } catch (error) {
      logger.warn({ reason: (error as Error).message }, 'registry aliases that graphs name not followed; retrying on the next poll');
    }
    const changes = deployments.apply(set);
    for (const runner of changes.added) logger.info({ graph: runner.spec.name, nodes: runner.spec.nodes.length }, 'graph serving');
    for (const runner of changes.replaced) logger.info({ graph: runner.spec.name, nodes: runner.spec.nodes.length }, 'graph definition changed; serving the new one');
    for (const name of changes.removed) logger.info({ graph: name }, 'deployment removed; graph no longer served');
    for (const [name, failure] of changes.failed) {
      if (service.serving(name)) logger.error({ graph: name, reason: failure.message }, 'deployment changed but does not load; the graph serves on as it was');
      else logger.error({ graph: name, reason: failure.message }, 'graph not served');
    }
    if (initial) return;
    for (const runner of [...changes.added, ...changes.replaced]) {
      try {
        await syncGraphState(runner, state, true);
      } catch (error) {
        logger.warn({ graph: runner.spec.name, store: state.kind, reason: (error as Error).message }, 'graph state not synced; retrying');
      }
    }
  };
  const reload = () => {
    reloading ??= apply(false).finally(() => {
      reloading = undefined;
    });
    return reloading;
  };
  return {
    service, traffic, state,
    async load() {
      await apply(true);
      // Set even with no graph: a deployment file added later is served without a restart.
      dataplane.setGraphs(service);
      await syncAll(true);
      timer = setInterval(() => void sync(), config.graphs.sync_seconds * 1000);
      timer.unref();
      gates.start();
    },
    reload,
    startPolling(seconds) {
      if (seconds <= 0) return;
      poller = setInterval(() => {
        reload().catch((error: unknown) => logger.error({ err: error }, 'deployments poll failed'));
      }, seconds * 1000);
      poller.unref();
    },
    sync,
    async close() {
      if (timer) clearInterval(timer);
      if (poller) clearInterval(poller);
      await reloading?.catch(() => undefined);
      gates.stop();
      stopping.abort();
      await syncing;
      await syncAll(false);
      remote.close();
      dataplane.setGraphs(undefined);
    },
  };
}
