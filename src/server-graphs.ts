import { graphPaths, type FerryConfig } from './config/index.ts';
import type { DataPlane } from './dataplane/index.ts';
import type { ModelManager } from './models/index.ts';
import type { Logger } from './observe/logger.ts';
import type { FerryMetrics } from './observe/metrics.ts';
import { GraphService, loadDeployments } from './graph/index.ts';

/** The server's inference graphs: deployments loaded after the models, served through the data plane. */
export interface ServerGraphs {
  readonly service: GraphService;
  /** Reads every deployment, validates it against the served models and serves it (or reports why not). */
  load(): Promise<void>;
  close(): Promise<void>;
}

export function serverGraphs(config: Readonly<FerryConfig>, dataplane: DataPlane, manager: ModelManager, metrics: FerryMetrics, logger: Logger): ServerGraphs {
  const paths = graphPaths(config);
  const service = new GraphService({
    dataplane,
    metrics: metrics.graphs,
    onShadowError: (graph, node, error) => logger.debug({ graph, node, err: (error as Error).message }, 'shadow call failed'),
  });
  return {
    service,
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
      if (service.names().length > 0) dataplane.setGraphs(service);
    },
    async close() {
      dataplane.setGraphs(undefined);
    },
  };
}
