export { GraphService, GRAPH_PLATFORM, type GraphServiceOptions } from './graph-service.ts';
export { GraphRunner, type RemoteCaller } from './graph-runner.ts';
export { loadDeployments, readDeployment, type DeploymentSet } from './load-deployments.ts';
export { parseGraph, parseGraphYaml } from './parse.ts';
export type { GraphSpec, NodeSpec, RouterSpec } from './spec.ts';
