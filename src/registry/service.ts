import { ferryError, isFerryError } from '../errors/index.ts';
import type { ArtifactFetcher } from '../repository/artifacts/index.ts';
import type { Actor, ModelVersion, NewVersion } from './entities.ts';
import type { ModelRef } from './models-uri.ts';
import type { RegistryStore } from './store.ts';
import { checkModelName } from './validate.ts';

/**
 * The registry's operations above the store: registration that learns an artifact's digest when the client did
 * not give one, promotion and rollback of aliases, and resolution of `models:/` references. The API, the MLflow
 * API and the CLI all go through here, and every write through the store's one audit path.
 */
export class RegistryService {
  readonly store: RegistryStore;
  readonly #fetcher: ArtifactFetcher | undefined;

  constructor(store: RegistryStore, fetcher?: ArtifactFetcher) {
    this.store = store;
    this.#fetcher = fetcher;
  }

  /**
   * Records a new version of `model` (creating the model when `createModel`). Without a digest, the artifact is
   * fetched now, its digest and files recorded, and it lands in the cache; a source that cannot be read leaves a
   * FAILED_REGISTRATION version with the reason, as MLflow does.
   */
  async register(model: string, version: NewVersion, actor: Actor, options: { readonly createModel?: boolean } = {}): Promise<ModelVersion> {
    checkModelName(model);
    if (options.createModel) {
      try {
        await this.store.getModel(model);
      } catch (error) {
        if (!isFerryError(error) || error.code !== 'FERRY_ERR_REGISTRY_MODEL_NOT_FOUND') throw error;
        await this.store.createModel({ name: model }, actor).catch((e: unknown) => {
          if (!isFerryError(e) || e.code !== 'FERRY_ERR_REGISTRY_MODEL_EXISTS') throw e;
        });
      }
    }
    // Refuse a source outside the allow-list before anything is recorded.
    this.#fetcher?.checkSource(version.source);
    if (version.digest || !this.#fetcher) return this.store.createVersion(model, version, actor);
    const pending = await this.store.createVersion(model, { ...version, status: 'PENDING_REGISTRATION' }, actor);
    try {
      const fetched = await this.#fetcher.fetch({ source: version.source, files: version.files });
      const files = fetched.download && !fetched.download.single ? fetched.download.hashed : (version.files ?? []);
      return await this.store.updateVersion(model, pending.version, { digest: fetched.digest, files, status: 'READY', statusMessage: '' }, actor);
    } catch (error) {
      const reason = isFerryError(error) ? error.message : (error as Error).message;
      return this.store.updateVersion(model, pending.version, { status: 'FAILED_REGISTRATION', statusMessage: reason }, actor);
    }
  }

  /** Moves an alias back to the version it named before its last move. */
  async rollback(model: string, alias: string, actor: Actor): Promise<ModelVersion> {
    const [last] = await this.store.audit({ model, alias, limit: 1 });
    const previous = last?.action === 'alias.set' ? (last.before as { version?: number } | null)?.version : undefined;
    if (previous === undefined) {
      throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `alias '${alias}' of '${model}' has no earlier version to roll back to` });
    }
    return this.store.setAlias(model, alias, previous, actor);
  }

  /** The version a reference names now. */
  async resolve(ref: ModelRef): Promise<ModelVersion> {
    switch (ref.kind) {
      case 'alias':
        return this.store.getVersionByAlias(ref.model, ref.alias);
      case 'version':
        return this.store.getVersion(ref.model, ref.version);
      case 'stage': {
        const [newest] = await this.store.listVersions({ model: ref.model, stages: [ref.stage], limit: 1 });
        if (!newest) {
          await this.store.getModel(ref.model);
          throw ferryError('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND', { model: ref.model, version: `in stage ${ref.stage}` });
        }
        return newest;
      }
      case 'latest': {
        const ready = (await this.store.listVersions({ model: ref.model })).find((v) => v.status === 'READY');
        if (!ready) {
          await this.store.getModel(ref.model);
          throw ferryError('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND', { model: ref.model, version: 'latest' });
        }
        return ready;
      }
    }
  }
}
