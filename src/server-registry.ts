import path from 'node:path';
import { registryPaths, type FerryConfig } from './config/index.ts';
import { ferryError, isFerryError } from './errors/index.ts';
import { repositorySource } from './models/index.ts';
import type { Logger } from './observe/logger.ts';
import {
  ArtifactUploads, describeStoreUrl, MlflowRegistryClient, openRegistryStore, RegistryHealth, RegistryService, RegistrySource, RegistryWatcher,
  type ModelRef, type ModelVersion, type RegistryHealthState,
} from './registry/index.ts';
import {
  ArtifactFetcher, HttpArtifactStore, LocalArtifactStore, S3ArtifactStore, SourceAllowList,
} from './repository/artifacts/index.ts';

/** The registry as the server holds it: the store (opened and migrated at start), the source, the watcher. */
export interface ServerRegistry {
  readonly fetcher: ArtifactFetcher;
  /** Artifacts uploaded through the management API, staged under the artifact root. */
  readonly uploads: ArtifactUploads;
  readonly health: RegistryHealth;
  /** What the model manager serves: the repository, with registry-backed models following their references. */
  readonly source: RegistrySource;
  /** The open registry; FERRY_ERR_REGISTRY_UNAVAILABLE before it opens or when disabled. */
  service(): RegistryService;
  /** Opens the store; when it cannot be reached, keeps trying in the background and starts anyway. */
  open(refresh: (models: readonly string[]) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Basic or bearer auth for an MLflow tracking server, from MLFLOW_TRACKING_TOKEN / _USERNAME / _PASSWORD. */
export function mlflowHeaders(mlflow: FerryConfig['registry']['mlflow']): Record<string, string> {
  if (mlflow.token) return { authorization: `Bearer ${mlflow.token}` };
  if (mlflow.username !== undefined) return { authorization: `Basic ${Buffer.from(`${mlflow.username}:${mlflow.password ?? ''}`).toString('base64')}` };
  return {};
}

/** Composition-root wiring of the registry: store, artifact stores, allow-list, fetcher, source and watcher. */
export function serverRegistry(config: Readonly<FerryConfig>, logger: Logger, onHealth: (state: RegistryHealthState) => void): ServerRegistry {
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
  const health = new RegistryHealth();
  health.onChange(onHealth);
  let service: RegistryService | undefined;
  let watcher: RegistryWatcher | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  const mlflow = tracking ? new MlflowRegistryClient({ trackingUri: tracking, headers: trackingHeaders }) : undefined;
  const resolve = (ref: ModelRef): Promise<ModelVersion> => {
    if (mlflow) return mlflow.resolve(ref);
    if (!service) return Promise.reject(ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: config.registry.enabled ? 'the registry store is not open' : 'registry.enabled is false' }));
    return service.resolve(ref);
  };
  const source = new RegistrySource({
    base: repositorySource(path.resolve(config.model_repository), config.repository.allowed_paths.map((p) => path.resolve(p))),
    pinned: config.models,
    resolve,
    fetcher,
    health,
    logger,
  });
  const pollMs = config.registry.poll_seconds * 1000;

  const startWatching = async (refresh: (models: readonly string[]) => Promise<void>) => {
    const store = service?.store;
    const poller = mlflow
      // An MLflow server cannot push: every poll re-resolves the followed models (resolution is cheap).
      ? new RegistryWatcher({ store: { lastChangeId: async () => Date.now(), subscribe: async () => undefined } as never, pollMs, health, logger, onChange: () => refresh([...source.followed().keys()]) })
      : store ? new RegistryWatcher({ store, pollMs, health, logger, onChange: () => refresh([...source.followed().keys()]) }) : undefined;
    watcher = poller;
    await poller?.start();
  };

  const uploads = new ArtifactUploads(paths.artifactRoot, { maxBytes: config.registry.artifacts.max_bytes, maxFiles: config.registry.artifacts.max_files });
  return {
    fetcher, health, source, uploads,
    service() {
      if (!service) throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: config.registry.enabled ? 'the registry store is not open (yet)' : 'registry.enabled is false' });
      return service;
    },
    async open(refresh) {
      if (!config.registry.enabled) {
        if (mlflow) await startWatching(refresh);
        return;
      }
      const attempt = async (delayMs: number): Promise<void> => {
        try {
          const store = await openRegistryStore(paths.store);
          if (closed) {
            await store.close();
            return;
          }
          service = new RegistryService(store, fetcher);
          health.ok();
          logger.info({ store: describeStoreUrl(paths.store), kind: store.kind }, 'model registry open');
          await startWatching(refresh);
          if (delayMs > 0) await refresh([...source.followed().keys()]);
        } catch (error) {
          if (!isFerryError(error) || error.code !== 'FERRY_ERR_REGISTRY_UNAVAILABLE') throw error;
          health.failed(error.message);
          const next = Math.min(30_000, Math.max(1000, delayMs * 2));
          logger.warn({ reason: error.message, retry_ms: next }, 'model registry unreachable at start; serving the repository, retrying');
          retry = setTimeout(() => void attempt(next).catch((e: unknown) => logger.error({ err: e }, 'opening the model registry failed')), next);
          retry.unref();
        }
      };
      await attempt(0);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await watcher?.stop();
      const open = service;
      service = undefined;
      await open?.store.close();
    },
  };
}
