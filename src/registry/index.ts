export * from './entities.ts';
export type { RegistryStore } from './store.ts';
export { openRegistryStore, describeStoreUrl } from './open-store.ts';
export { checkAlias, checkModelName, checkStage, checkVersion } from './validate.ts';
