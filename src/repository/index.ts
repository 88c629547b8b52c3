export { scanRepository, scanModel, describeIoError, type RepositoryModel, type RepositoryScan, type ScanOptions } from './file-repository.ts';
export { parseModelConfig, selectVersions, DEFAULT_VERSION_POLICY, type ModelConfig, type VersionPolicy, type TensorOverride } from './model-config.ts';
export { assertModelName, isValidModelName } from './model-name.ts';
export { ScanRefusal } from './places.ts';
export { repositoryRelative } from './relative-paths.ts';
