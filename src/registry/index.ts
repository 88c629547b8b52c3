export * from './entities.ts';
export type { RegistryStore } from './store.ts';
export { openRegistryStore, describeStoreUrl } from './open-store.ts';
export { checkAlias, checkModelName, checkStage, checkVersion } from './validate.ts';
export { RegistryService } from './service.ts';
export { parseModelsUri, formatModelRef, type ModelRef } from './models-uri.ts';
