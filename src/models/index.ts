export { ModelManager, ManagedModel, type LoadOptions, type ModelManagerOptions, type VersionRef } from './model-manager.ts';
export { ServedVersion } from './served-version.ts';
export type { VersionState } from './lifecycle.ts';
export type { Executor, ExecutorFactory, ExecutorContext, EnqueueOptions } from './executor.ts';
export type { VersionStatistics, Duration } from './stats.ts';
export { defaultOutputFor } from './default-output.ts';
export { repositorySource, type ModelSource, type SourcedModel, type SourceScan } from './model-source.ts';
