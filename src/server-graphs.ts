import { graphPaths, type FerryConfig } from './config/index.ts';
import type { DataPlane } from './dataplane/index.ts';
import type { ModelManager } from './models/index.ts';
import type { Logger } from './observe/logger.ts';
import type { FerryMetrics } from './observe/metrics.ts';
import type { RegistryStore } from './registry/index.ts';
import {
  FileGraphState, GateController, GraphService, loadDeployments, RegistryGraphState, syncGraphState, TrafficControl, V2RemoteCaller,
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
  /** Writes what bandits learnt and reads every replica's state now (also on a timer). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export function serverGraphs(
  config: Readonly<FerryConfig>, dataplane: DataPlane, manager: ModelManager, metrics: FerryMetrics, logger: Logger,
  registryStore: () => RegistryStore,
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
  let timer: NodeJS.Timeout | undefined;
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
  return {
    service, traffic, state,
    async load() {
      const { graphs, failures } = await loadDeployments(paths.dir, config.graphs.deployments);
      for (const spec of graphs) {
        try {
          service.add(spec, (name) => manager.has(name));
          logger.info({ graph: spec.name, nodes: spec.nodes.length }, 'graph serving');
        } catch (error) {
          const failure = error as Parameters<GraphService['fail']>[1];
          service.fail(spec.name, failure);
          logger.error({ graph: spec.name, reason: failure.message }, 'graph not served');
        }
      }
      for (const [name, failure] of failures) {
        service.fail(name, failure);
        logger.error({ graph: name, reason: failure.message }, 'graph not served');
      }
      if (service.names().length === 0) return;
      dataplane.setGraphs(service);
      await syncAll(true);
      timer = setInterval(() => void sync(), config.graphs.sync_seconds * 1000);
      timer.unref();
      gates.start();
    },
    sync,
    async close() {
      if (timer) clearInterval(timer);
      gates.stop();
      stopping.abort();
      await syncing;
      await syncAll(false);
      remote.close();
      dataplane.setGraphs(undefined);
    },
  };
}
