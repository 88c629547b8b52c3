import { ferryError, isFerryError } from '../errors/index.ts';
import type { ModelSource, SourcedModel, SourceScan } from '../models/index.ts';
import { parseModelConfig } from '../repository/index.ts';
import type { ArtifactFetcher } from '../repository/artifacts/index.ts';
import type { ModelVersion } from './entities.ts';
import type { RegistryHealth } from './health.ts';
import { warmupRequest } from './input-example.ts';
import { parseModelsUri, type ModelRef } from './models-uri.ts';

export interface RegistrySourceOptions {
  /** The repository folder: its models serve as they are, unless their model.yaml names a `source:`. */
  readonly base: ModelSource;
  /** Models to follow that have no folder (`ferry serve --model name=models:/...`). */
  readonly pinned: Readonly<Record<string, string>>;
  /** What a reference names now (Ferry's registry, or an MLflow tracking server). */
  readonly resolve: (ref: ModelRef) => Promise<ModelVersion>;
  readonly fetcher: ArtifactFetcher;
  readonly health: RegistryHealth;
  readonly logger: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

/** How many versions a reference named before are kept as fallbacks. */
const KEPT_EARLIER = 3;

interface NamedVersion {
  readonly number: number;
  readonly version: ModelVersion;
}

/** Failures that mean "the registry cannot be asked now", as opposed to "it answered: no such thing". */
const UNREACHABLE = new Set(['FERRY_ERR_REGISTRY_UNAVAILABLE', 'FERRY_ERR_ARTIFACT_FETCH_FAILED', 'FERRY_ERR_INTERNAL']);

/**
 * The registry's view over the repository: a model whose model.yaml names `source: models:/...`, or that is
 * pinned on the command line, serves the one version its reference names now. When the registry cannot be
 * reached, the last version it named keeps serving and the health turns degraded.
 */
export class RegistrySource implements ModelSource {
  readonly #options: RegistrySourceOptions;
  /** The last resolution per followed model: served on while the registry is unreachable. */
  readonly #last = new Map<string, SourcedModel>();
  /** Versions a followed reference named before, newest first: the last good versions if the one it names fails. */
  readonly #earlier = new Map<string, readonly NamedVersion[]>();
  readonly #lastRecords = new Map<string, readonly NamedVersion[]>();
  /** Digests learned on first fetch of versions their registry records none for (an MLflow server). */
  readonly #pinnedDigests = new Map<string, string>();
  readonly #following = new Map<string, string>();
  /** Registry aliases that inference graphs name (`model@alias`), per followed model: served beside its reference. */
  #graphAliases: ReadonlyMap<string, ReadonlySet<string>> = new Map();
  /** Why an alias a graph names resolved to nothing, as last logged: said once, not on every poll. */
  readonly #aliasProblems = new Map<string, string>();

  constructor(options: RegistrySourceOptions) {
    this.#options = options;
    for (const [name, uri] of Object.entries(options.pinned)) this.#following.set(name, uri);
  }

  /**
   * Registry aliases graphs name per served model (`fraud@challenger`): a model that follows a registry reference
   * also serves the version each names, under a label of the alias's name, and follows its moves. Returns the
   * models whose aliases changed (to refresh).
   */
  followGraphAliases(aliases: ReadonlyMap<string, ReadonlySet<string>>): string[] {
    const changed = new Set<string>();
    for (const name of new Set([...aliases.keys(), ...this.#graphAliases.keys()])) {
      const before = [...(this.#graphAliases.get(name) ?? [])].sort().join(',');
      const after = [...(aliases.get(name) ?? [])].sort().join(',');
      if (before !== after && this.#following.has(name)) changed.add(name);
    }
    this.#graphAliases = aliases;
    return [...changed];
  }

  /** The models that follow a registry reference, with the reference. */
  followed(): ReadonlyMap<string, string> {
    return this.#following;
  }

  async list(): Promise<SourceScan> {
    const scan = await this.#options.base.list();
    const models = new Map<string, SourcedModel>();
    const unreadable = new Map(scan.unreadable);
    const skipped = [...scan.skipped];
    for (const [name, model] of scan.models) {
      if (this.#options.pinned[name] !== undefined) {
        skipped.push({ path: name, reason: `served from ${this.#options.pinned[name]} (--model); the folder is ignored` });
        continue;
      }
      models.set(name, await this.#withSource(model));
    }
    for (const [name, uri] of Object.entries(this.#options.pinned)) {
      unreadable.delete(name);
      models.set(name, await this.#follow(name, uri, undefined));
    }
    return { models, skipped, unreadable };
  }

  async get(name: string): Promise<SourcedModel | undefined> {
    const pinned = this.#options.pinned[name];
    if (pinned !== undefined) return this.#follow(name, pinned, undefined);
    const model = await this.#options.base.get(name);
    return model ? this.#withSource(model) : undefined;
  }

  /** A folder model whose model.yaml names a source follows it; any other is served from its folder. */
  async #withSource(model: SourcedModel): Promise<SourcedModel> {
    let source: string | undefined;
    try {
      source = model.configText === undefined ? undefined : parseModelConfig(model.name, model.configText).source;
    } catch {
      return model; // the manager reports the model.yaml error
    }
    if (source === undefined) {
      this.#following.delete(model.name);
      return model;
    }
    return this.#follow(model.name, source, model.configText);
  }

  async #follow(name: string, uri: string, configText: string | undefined): Promise<SourcedModel> {
    this.#following.set(name, uri);
    const empty: SourcedModel = { name, versions: new Map(), versionStamps: new Map(), versionErrors: new Map(), origin: uri, ...(configText !== undefined ? { configText } : {}) };
    let version: ModelVersion;
    try {
      version = await this.#options.resolve(parseModelsUri(uri));
      this.#options.health.ok();
      if (version.status !== 'READY') throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `version ${version.version} is ${version.status} (${version.statusMessage})` });
    } catch (error) {
      const failure = isFerryError(error) ? error : ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: (error as Error).message });
      if (UNREACHABLE.has(failure.code)) {
        this.#options.health.failed(failure.message);
        this.#options.logger.warn({ model: name, source: uri, reason: failure.message }, 'registry unreachable; serving the last version it named');
      } else {
        this.#options.logger.warn({ model: name, source: uri, reason: failure.message }, 'registry reference names nothing servable; versions already serving are kept');
      }
      const last = this.#last.get(name);
      return last ? { ...last, ...(configText !== undefined ? { configText } : {}) } : empty;
    }
    const named: NamedVersion = { number: version.version, version };
    const previous = this.#last.get(name)?.selected?.[0];
    if (previous !== undefined && previous !== version.version) {
      const before = this.#namedBefore(name, previous);
      if (before) this.#earlier.set(name, [before, ...(this.#earlier.get(name) ?? []).filter((v) => v.number !== previous && v.number !== version.version)].slice(0, KEPT_EARLIER));
    }
    const aliased = await this.#graphAliasVersions(name, uri);
    const extra = [...new Map(aliased.filter(([, v]) => v.version !== version.version).map(([, v]) => [v.version, v])).values()];
    const all = [
      named,
      ...extra.map((v) => ({ number: v.version, version: v })),
      ...(this.#earlier.get(name) ?? []).filter((v) => v.number !== version.version && !extra.some((e) => e.version === v.number)),
    ];
    const sourced: SourcedModel = {
      ...empty,
      // A version recorded with its runtime serves with it, unless model.yaml says otherwise.
      ...(configText === undefined && version.runtime ? { configText: `runtime: ${JSON.stringify(version.runtime)}\n` } : {}),
      versions: new Map(all.map((v) => [v.number, { path: v.version.source, files: [] }])),
      // A version's artifact never changes under its number; the digest (or the source, before one is known) stamps it.
      versionStamps: new Map(all.map((v) => [v.number, v.version.digest || `${v.version.source}`])),
      // The reference decides what serves; the versions it named before are there for the fallback only.
      selected: [version.version, ...extra.map((v) => v.version)],
      ...(aliased.length > 0 ? { labels: Object.fromEntries(aliased.map(([alias, v]) => [alias, v.version])), defaultVersion: version.version } : {}),
      materialize: async (n, signal) => {
        const chosen = all.find((v) => v.number === n)?.version ?? version;
        const key = `${chosen.model}/${chosen.version}`;
        const digest = chosen.digest || this.#pinnedDigests.get(key);
        const fetched = await this.#options.fetcher.fetch({ source: chosen.source, digest, files: chosen.files }, signal);
        if (!digest) this.#pinnedDigests.set(key, fetched.digest);
        return { path: fetched.path, files: fetched.files };
      },
      warmup: (n) => warmupRequest(name, (all.find((v) => v.number === n)?.version ?? version).inputExample),
    };
    this.#last.set(name, sourced);
    this.#lastRecords.set(name, all);
    return sourced;
  }

  /** What each registry alias graphs name for this model points at now; an alias that names nothing is left out. */
  async #graphAliasVersions(name: string, uri: string): Promise<[string, ModelVersion][]> {
    const aliases = this.#graphAliases.get(name);
    if (aliases === undefined || aliases.size === 0) return [];
    const registryModel = parseModelsUri(uri).model;
    const found: [string, ModelVersion][] = [];
    for (const alias of aliases) {
      try {
        const version = await this.#options.resolve({ model: registryModel, kind: 'alias', alias });
        if (version.status !== 'READY') throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `version ${version.version} is ${version.status} (${version.statusMessage})` });
        found.push([alias, version]);
        this.#aliasProblems.delete(`${name}@${alias}`);
      } catch (error) {
        const reason = (error as Error).message;
        if (this.#aliasProblems.get(`${name}@${alias}`) !== reason) {
          this.#options.logger.warn({ model: name, alias, reason }, 'registry alias a graph names resolves to nothing servable');
        }
        this.#aliasProblems.set(`${name}@${alias}`, reason);
      }
    }
    return found;
  }

  /** The record of a version this model's reference named at its last resolution. */
  #namedBefore(name: string, number: number): NamedVersion | undefined {
    return this.#lastRecords.get(name)?.find((v) => v.number === number);
  }
}
