export { loadConfig, type ConfigSources } from './load-config.ts';
export { configSchema, type FerryConfig, type FerryConfigInput } from './schema.ts';
export { graphPaths, registryPaths, type RegistryPaths } from './derived.ts';
