export { scanRepository, scanModel, type RepositoryModel, type RepositoryScan } from './file-repository.ts';
export { parseModelConfig, selectVersions, DEFAULT_VERSION_POLICY, type ModelConfig, type VersionPolicy, type TensorOverride } from './model-config.ts';
export { assertModelName, isValidModelName } from './model-name.ts';
