import path from 'node:path';
import type { FerryConfig } from './schema.ts';

/** Settings whose defaults derive from others (the data directory); resolved here so every user agrees. */
export interface RegistryPaths {
  readonly store: string;
  readonly artifactRoot: string;
  readonly cacheDir: string;
}

export function registryPaths(config: Readonly<FerryConfig>): RegistryPaths {
  const dataDir = path.resolve(config.data_dir);
  return {
    store: config.registry.store ?? `sqlite:${path.join(dataDir, 'registry.db')}`,
    artifactRoot: path.resolve(config.registry.artifacts.root ?? path.join(dataDir, 'artifacts')),
    cacheDir: path.resolve(config.registry.artifacts.cache_dir ?? path.join(dataDir, 'artifact-cache')),
  };
}

/** Where deployment files are read from and, without a registry store, where graph state is kept. */
export function graphPaths(config: Readonly<FerryConfig>): { readonly dir: string; readonly stateFile: string } {
  return {
    dir: path.resolve(config.graphs.dir ?? path.join(path.dirname(path.resolve(config.model_repository)), 'deployments')),
    stateFile: path.resolve(config.graphs.state_file ?? path.join(path.resolve(config.data_dir), 'graph-state.json')),
  };
}
