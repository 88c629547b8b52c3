import { registryPaths, type FerryConfig } from './config/index.ts';
import { ferryError } from './errors/index.ts';
import type { Logger } from './observe/logger.ts';
import { describeStoreUrl, openRegistryStore, RegistryService } from './registry/index.ts';
import {
  ArtifactFetcher, HttpArtifactStore, LocalArtifactStore, S3ArtifactStore, SourceAllowList,
} from './repository/artifacts/index.ts';

/** The registry as the server holds it: opened (and migrated) at start, closed at stop. */
export interface ServerRegistry {
  readonly enabled: boolean;
  readonly fetcher: ArtifactFetcher;
  /** The open registry; FERRY_ERR_REGISTRY_UNAVAILABLE before start or when disabled. */
  service(): RegistryService;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Basic or bearer auth for an MLflow tracking server, from MLFLOW_TRACKING_TOKEN / _USERNAME / _PASSWORD. */
export function mlflowHeaders(mlflow: FerryConfig['registry']['mlflow']): Record<string, string> {
  if (mlflow.token) return { authorization: `Bearer ${mlflow.token}` };
  if (mlflow.username !== undefined) return { authorization: `Basic ${Buffer.from(`${mlflow.username}:${mlflow.password ?? ''}`).toString('base64')}` };
  return {};
}

/** Composition-root wiring of the registry: its store, the artifact stores, allow-list and fetcher. */
export function serverRegistry(config: Readonly<FerryConfig>, logger: Logger): ServerRegistry {
  const paths = registryPaths(config);
  const tracking = config.registry.mlflow.tracking_uri;
  const allow = new SourceAllowList([paths.artifactRoot, ...config.registry.artifacts.allow, ...(tracking ? [tracking] : [])]);
  const trackingHeaders = mlflowHeaders(config.registry.mlflow);
  const s3 = config.registry.artifacts.s3;
  const fetcher = new ArtifactFetcher({
    stores: [
      new LocalArtifactStore(),
      new S3ArtifactStore({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: s3.force_path_style ?? (s3.endpoint ? true : undefined) }),
      new HttpArtifactStore({
        mayFollow: (url) => allow.allows(url),
        // The tracking server's credentials go to the tracking server only.
        headersFor: (url) => (tracking && url.startsWith(tracking) ? trackingHeaders : {}),
      }),
    ],
    allow,
    cacheDir: paths.cacheDir,
    maxBytes: config.registry.artifacts.max_bytes,
    maxFiles: config.registry.artifacts.max_files,
  });
  let service: RegistryService | undefined;
  return {
    enabled: config.registry.enabled,
    fetcher,
    service() {
      if (!service) throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: config.registry.enabled ? 'not open yet' : 'registry.enabled is false' });
      return service;
    },
    async open() {
      if (!config.registry.enabled || service) return;
      const store = await openRegistryStore(paths.store);
      service = new RegistryService(store, fetcher);
      logger.info({ store: describeStoreUrl(paths.store), kind: store.kind }, 'model registry open');
    },
    async close() {
      const open = service;
      service = undefined;
      await open?.store.close();
    },
  };
}
