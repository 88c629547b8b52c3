export { DataPlane, type DataPlaneOptions } from './dataplane.ts';
export { evaluateReadiness, STRICT_READINESS, type ReadinessPolicy, type ReadinessReport, type ModelReadiness } from './readiness.ts';
export { validateRequest } from './validate.ts';
export type { DataPlaneObserver, InferEvent } from './observer.ts';
export type * from './views.ts';
export type { RequestTrace } from '../observe/tracing/request-trace.ts';
export type { Feedback, GraphHost } from './graph-host.ts';
export type { LoadOptions } from '../models/index.ts';
export { CLASS_LABELS_FILE } from '../repository/index.ts';
