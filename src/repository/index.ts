export { scanRepository, scanModel, describeIoError, CLASS_LABELS_FILE, type RepositoryModel, type RepositoryScan, type ScanOptions } from './file-repository.ts';
export { parseModelConfig, selectVersions, DEFAULT_VERSION_POLICY, type ModelConfig, type ModelConfigInput, type VersionPolicy, type TensorOverride } from './model-config.ts';
export { assertModelName, isValidModelName } from './model-name.ts';
export { ScanRefusal } from './places.ts';
export { repositoryRelative } from './relative-paths.ts';
export { placeUpload, type PlacedUpload, type UploadedFiles } from './upload.ts';
