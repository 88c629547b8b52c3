import { realpathSync } from 'node:fs';
import { ferryError, isFerryError, redactSecrets } from '../errors/index.ts';
import {
  DEFAULT_VERSION_POLICY, describeIoError, parseModelConfig, placeUpload, repositoryRelative, ScanRefusal, selectVersions,
  type ModelConfig, type ModelConfigInput, type PlacedUpload, type UploadedFiles,
} from '../repository/index.ts';
import type { ModelDir, ModelInstance, Runtime, RuntimeContext, RuntimeLogger } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import type { ExecutorFactory } from './executor.ts';
import { repositorySource, type ModelSource, type SourcedModel } from './model-source.ts';
import { selectRuntime } from './runtime-selection.ts';
import { ServedVersion } from './served-version.ts';
import { applySignatureOverrides } from './signature-override.ts';
import { recorderFor } from './stats.ts';

export interface ModelManagerOptions {
  readonly root: string;
  readonly runtimes: readonly Runtime[];
  readonly executorFactory: ExecutorFactory;
  readonly logger: RuntimeLogger;
  readonly threads: RuntimeContext['threads'];
  /** What should serve; the repository folder at `root` by default. */
  readonly source?: ModelSource;
  /** `repository.allowed_paths`: places outside the root that symbolic links in the repository may resolve into. */
  readonly allowedPaths?: readonly string[];
  /** Told of every failed version load (for the load-failure metric). */
  readonly onLoadFailure?: (model: string, version: number) => void;
  /** `repository.upload_max_bytes`: bytes of model files one load may upload. */
  readonly uploadMaxBytes?: number;
}

/** What a repository load may bring: a model configuration standing for model.yaml, and version folders' files. */
export interface LoadOptions {
  readonly config?: ModelConfigInput;
  readonly files?: UploadedFiles;
}

const DEFAULT_UPLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** A repository folder the last scan left out, and why. */
export interface SkippedEntry {
  readonly path: string;
  readonly reason: string;
}

export interface VersionRef {
  readonly version?: string | undefined;
  readonly label?: string | undefined;
}

/** A model as the manager knows it: config, versions with their states, labels. */
export class ManagedModel {
  readonly name: string;
  config: ModelConfig = {};
  configError: string | undefined;
  /** With no version folder: what the model folder holds instead, said as what to do (from the scan). */
  layoutHint: string | undefined;
  readonly versions = new Map<number, ServedVersion>();
  /** Set by an explicit unload: the poller leaves the model unloaded until an explicit load. */
  explicitlyUnloaded = false;
  inRepository = true;
  /** Where its versions come from: 'repository' or a `models:/` URI. */
  origin = 'repository';
  /** The versions its policy (or its source) selects, as of the last sync. */
  selected: readonly number[] = [];
  /** Fallback versions that failed to load, with the stamp they failed with: not tried again until it changes. */
  readonly failedFallbacks = new Map<number, string>();
  /** Class labels from the model folder's labels file (classification extension); undefined without one. */
  classLabels: readonly string[] | undefined;
  /** Each version folder's stamp as the last scan saw it: the poller loads a folder once it is the same twice. */
  seenStamps: ReadonlyMap<number, string> = new Map();

  constructor(name: string) {
    this.name = name;
  }

  /** Labels its source sets (registry aliases graphs name); model.yaml's labels win on a clash. */
  sourceLabels: Readonly<Record<string, number>> = {};
  /** The version its source names as the default when it serves others besides (undefined: the newest). */
  defaultVersion: number | undefined;

  /** Why no version serves when none is known: model.yaml's error, the folder's layout, or simply none loaded. */
  get noVersionReason(): string {
    return this.configError ?? (this.layoutHint === undefined ? 'no version loaded' : `no version folder: ${this.layoutHint}`);
  }

  get labels(): Readonly<Record<string, number>> {
    return this.config.labels === undefined ? this.sourceLabels : { ...this.sourceLabels, ...this.config.labels };
  }

  /**
   * The version a request naming neither version nor label runs on: the source's default when it serves, else the
   * newest AVAILABLE version that is not there for a source label only (an alias a graph follows).
   */
  defaultServed(): ServedVersion | undefined {
    if (this.defaultVersion === undefined) return this.latestAvailable();
    const named = this.versions.get(this.defaultVersion);
    if (named?.available) return named;
    const labelOnly = new Set(Object.values(this.sourceLabels).filter((v) => v !== this.defaultVersion));
    let best: ServedVersion | undefined;
    for (const v of this.versions.values()) if (v.available && !labelOnly.has(v.version) && (!best || v.version > best.version)) best = v;
    return best ?? this.latestAvailable();
  }

  /**
   * The version serving in place of the selected ones, none of which is AVAILABLE (they failed to load): the last
   * good version. Undefined when a selected version serves, or nothing does.
   */
  fallback(): ServedVersion | undefined {
    if (this.selected.length === 0 || this.selected.some((v) => this.versions.get(v)?.available)) return undefined;
    return this.latestAvailable();
  }

  /** The version served when a request names neither version nor label: the newest AVAILABLE one. */
  latestAvailable(): ServedVersion | undefined {
    let best: ServedVersion | undefined;
    for (const v of this.versions.values()) if (v.available && (!best || v.version > best.version)) best = v;
    return best;
  }
}

/**
 * Owns (name, version) → instance: scans the repository, loads what each model's version policy selects,
 * unloads what it no longer selects once a replacement is AVAILABLE, and resolves requests to a version.
 */
export class ModelManager {
  readonly #options: ModelManagerOptions;
  readonly #models = new Map<string, ManagedModel>();
  #chain: Promise<unknown> = Promise.resolve();
  readonly #source: ModelSource;
  #poller: NodeJS.Timeout | undefined;
  #closed = false;
  #skipped: readonly SkippedEntry[] = [];
  /** model.yaml text given with a repository load, by model: it stands for the model's own until a load without one. */
  readonly #overrides = new Map<string, string>();

  constructor(options: ModelManagerOptions) {
    this.#options = options;
    this.#source = options.source ?? repositorySource(options.root, options.allowedPaths ?? []);
  }

  get root(): string {
    return this.#options.root;
  }

  /** Folders of the repository the last scan left out (invalid names, links to places not allowed), with why. */
  skipped(): readonly SkippedEntry[] {
    return this.#skipped;
  }

  models(): ManagedModel[] {
    return [...this.#models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.#models.has(name);
  }

  model(name: string): ManagedModel {
    const model = this.#models.get(name);
    if (!model) throw ferryError('FERRY_ERR_MODEL_NOT_FOUND', { model: name });
    return model;
  }

  /**
   * Throws 404 when the model, version or label a request names does not exist. Adapters call it before they read
   * a request's body, so that an unknown target is reported whatever else is wrong with the request.
   */
  checkTarget(name: string, ref: VersionRef): void {
    this.#named(this.model(name), ref);
  }

  /** The AVAILABLE version a request should run on. Synchronous, so a caller can enqueue in the same tick. */
  resolve(name: string, ref: VersionRef): ServedVersion {
    const model = this.model(name);
    const named = this.#named(model, ref);
    let served: ServedVersion | undefined;
    if (named !== undefined) {
      served = model.versions.get(named.version);
      if (!served) throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model: name, version: String(named.version), state: `label '${named.label}' points at a version that is not loaded` });
    } else {
      served = model.defaultServed();
      if (!served) {
        const newest = [...model.versions.values()].sort((a, b) => b.version - a.version)[0];
        throw ferryError('FERRY_ERR_MODEL_NOT_READY', {
          model: name, version: newest ? String(newest.version) : 'none',
          state: newest ? describeState(newest) : model.noVersionReason,
        });
      }
    }
    if (!served.available) {
      throw ferryError('FERRY_ERR_MODEL_NOT_READY', { model: name, version: String(served.version), state: describeState(served) });
    }
    return served;
  }

  /**
   * The version a request names: a version number, a label (in the label field, or in the version field where a
   * protocol has no other place for it, as `versions/{label}`), model.yaml's `default_label` when it names neither;
   * undefined for the default version. Unknown versions and labels are 404.
   */
  #named(model: ManagedModel, ref: VersionRef): { version: number; label?: string } | undefined {
    if (ref.version !== undefined && ref.version !== '' && ref.label !== undefined) throw ferryError('FERRY_ERR_VERSION_AND_LABEL');
    const byLabel = (label: string) => {
      const target = model.labels[label];
      if (target === undefined) throw ferryError('FERRY_ERR_LABEL_NOT_FOUND', { model: model.name, label });
      return { version: target, label };
    };
    if (ref.label !== undefined) return byLabel(ref.label);
    if (ref.version !== undefined && ref.version !== '') {
      if (/^\d+$/.test(ref.version) && model.versions.has(Number(ref.version))) return { version: Number(ref.version) };
      if (model.labels[ref.version] !== undefined) return byLabel(ref.version);
      throw ferryError('FERRY_ERR_VERSION_NOT_FOUND', { model: model.name, version: ref.version });
    }
    const fallback = model.config.default_label;
    return fallback === undefined ? undefined : byLabel(fallback);
  }

  /**
   * Rescans the whole repository and brings every model in line with it. With `waitForQuiet` (the poller), a version
   * folder that is new or edited is loaded only once its listing (names, sizes, mtimes) is the same as at the
   * previous scan, so that a folder still being copied is not loaded half-written; the first scan at start and
   * explicit loads do not wait.
   */
  sync(options: { readonly waitForQuiet?: boolean } = {}): Promise<void> {
    return this.#exclusive(async () => {
      const scan = await this.#source.list();
      const known = new Set(this.#skipped.map((s) => `${s.path}\n${s.reason}`));
      for (const skipped of scan.skipped) {
        if (!known.has(`${skipped.path}\n${skipped.reason}`)) this.#options.logger.warn({ path: skipped.path, reason: skipped.reason }, 'repository entry skipped');
      }
      this.#skipped = scan.skipped;
      for (const [name, reason] of scan.unreadable) this.#options.logger.warn({ model: name, reason }, 'model folder unreadable; what it serves is kept');
      for (const repoModel of scan.models.values()) await this.#syncModel(repoModel, options.waitForQuiet === true);
      for (const model of this.#models.values()) {
        // A folder that could not be read this time is not a removed one: its versions keep serving.
        if (!scan.models.has(model.name) && !scan.unreadable.has(model.name) && model.inRepository) {
          model.inRepository = false;
          await this.#unloadAll(model, 'removed from the repository');
        }
      }
    });
  }

  /**
   * Repository extension: load (or reload) one model, clearing an explicit unload. `config` (model.yaml as an
   * object) replaces the model's own model.yaml until a load without one; `files` are version folders placed in the
   * repository first. Either way the model is then read through the source like any other, and a load that fails
   * leaves the configuration and the files as they were.
   */
  load(name: string, options: LoadOptions = {}): Promise<void> {
    return this.#exclusive(async () => {
      const previous = this.#overrides.get(name);
      if (options.config !== undefined) this.#overrides.set(name, JSON.stringify(options.config));
      else this.#overrides.delete(name);
      const upload = options.files === undefined ? undefined : await this.#place(name, options.files, previous);
      try {
        await this.#loadNow(name, options.config !== undefined || options.files !== undefined);
        await upload?.settle();
      } catch (error) {
        if (previous === undefined) this.#overrides.delete(name);
        else this.#overrides.set(name, previous);
        if (upload) await upload.rollback();
        if (upload || options.config !== undefined) await this.#resync(name);
        throw error;
      }
    });
  }

  async #place(name: string, files: UploadedFiles, previous: string | undefined): Promise<PlacedUpload> {
    try {
      return await placeUpload(this.#options.root, name, files, this.#options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES);
    } catch (error) {
      if (previous === undefined) this.#overrides.delete(name);
      else this.#overrides.set(name, previous);
      throw error;
    }
  }

  /** After a failed load: serve again what the source has now (the files and configuration put back). */
  async #resync(name: string): Promise<void> {
    try {
      const sourced = await this.#source.get(name);
      if (sourced) await this.#syncModel(sourced);
    } catch (error) {
      this.#options.logger.error({ model: name, err: error }, 'model could not be restored after a failed load');
    }
  }

  async #loadNow(name: string, strict: boolean): Promise<void> {
    let repoModel: SourcedModel | undefined;
    try {
      repoModel = await this.#source.get(name);
    } catch (error) {
      if (error instanceof ScanRefusal) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: name, detail: error.message });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw ferryError('FERRY_ERR_LOAD_MODEL_NOT_FOUND', { model: name });
      if (isFerryError(error)) throw error;
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: name, detail: this.#relative(describeIoError(error)) });
    }
    // Triton's clients look for "failed to load" in the answer to a load of a model the repository lacks.
    if (!repoModel) throw ferryError('FERRY_ERR_LOAD_MODEL_NOT_FOUND', { model: name });
    const model = this.#models.get(name);
    if (model) model.explicitlyUnloaded = false;
    const failures = await this.#syncModel(repoModel);
    const managed = this.model(name);
    if (managed.configError) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: name, detail: managed.configError });
    // A load that brings a configuration or files is refused when any version fails with them, though an older copy serves.
    const [failedVersion, failure] = [...failures][0] ?? [];
    if (strict && failedVersion !== undefined) {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: name, detail: `version ${failedVersion}: ${withoutPrefix(name, failure!)}` });
    }
    const fallback = managed.fallback();
    if (!managed.latestAvailable() || fallback) {
      // The load asked for the selected version: its failure is the answer, even when the last good version serves.
      const failed = managed.selected.map((v) => managed.versions.get(v)).find((v) => v?.state === 'ERROR')
        ?? [...managed.versions.values()].find((v) => v.state === 'ERROR');
      const why = failed ? `version ${failed.version}: ${withoutPrefix(name, failed.reason ?? 'failed')}` : 'no version to load';
      const detail = fallback ? `${why}; version ${fallback.version} serves instead (last good version)` : why;
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: name, detail });
    }
  }

  /**
   * Brings the named models in line with the source now (a registry alias moved), without rescanning the rest.
   * A model the source no longer has is left as it is; the periodic sync handles removals.
   */
  refresh(names: readonly string[]): Promise<void> {
    return this.#exclusive(async () => {
      for (const name of names) {
        const sourced = await this.#source.get(name);
        if (sourced) await this.#syncModel(sourced);
      }
    });
  }

  /** Repository extension: unload every version; the poller will not reload it until load(). */
  unload(name: string): Promise<void> {
    return this.#exclusive(async () => {
      const model = this.model(name);
      model.explicitlyUnloaded = true;
      await this.#unloadAll(model, 'unloaded on request');
    });
  }

  startPolling(seconds: number): void {
    if (seconds <= 0) return;
    this.#poller = setInterval(() => {
      this.sync({ waitForQuiet: true }).catch((error: unknown) => this.#options.logger.error({ err: error }, 'repository poll failed'));
    }, seconds * 1000);
    this.#poller.unref();
  }

  /** Stops polling, drains every queue and unloads every instance. */
  async close(): Promise<void> {
    if (this.#poller) clearInterval(this.#poller);
    await this.#exclusive(async () => {
      this.#closed = true;
      await Promise.all([...this.#models.values()].map((m) => this.#unloadAll(m, 'server stopping')));
    });
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => (this.#closed ? Promise.resolve(undefined as T) : work()));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Brings one model in line with what its source has; returns the versions that failed to load this time, with why. */
  async #syncModel(repoModel: SourcedModel, waitForQuiet = false): Promise<Map<number, string>> {
    const failures = new Map<number, string>();
    let model = this.#models.get(repoModel.name);
    if (!model) {
      model = new ManagedModel(repoModel.name);
      this.#models.set(repoModel.name, model);
    }
    const changing = waitForQuiet ? changingVersions(model, repoModel) : new Set<number>();
    model.seenStamps = repoModel.versionStamps;
    model.inRepository = true;
    model.origin = repoModel.origin ?? 'repository';
    model.layoutHint = repoModel.layoutHint;
    model.classLabels = repoModel.labelsText === undefined ? undefined : parseClassLabels(repoModel.labelsText);
    // A source label that moved keeps naming the version it named until the new one is loaded (below).
    const labelsAfter = repoModel.labels ?? {};
    model.sourceLabels = Object.fromEntries(Object.entries(labelsAfter).map(([label, v]) => {
      const before = model.sourceLabels[label];
      return [label, before !== undefined && !model.versions.get(v)?.available && model.versions.get(before)?.available ? before : v];
    }));
    model.defaultVersion = repoModel.defaultVersion;
    try {
      const configText = this.#overrides.get(repoModel.name) ?? repoModel.configText;
      const config = configText === undefined ? {} : parseModelConfig(repoModel.name, configText);
      if (repoModel.selected === undefined) checkLabels(repoModel, config);
      model.config = config;
      model.configError = undefined;
    } catch (error) {
      this.#rejectConfig(model, this.#relative((error as Error).message));
      return failures;
    }
    if (model.explicitlyUnloaded) return failures;
    const policy = model.config.version_policy ?? DEFAULT_VERSION_POLICY;
    // A new folder still changing is not there yet; an edited one keeps serving its loaded copy until it is quiet.
    const present = [...repoModel.versions.keys()].filter((v) => !changing.has(v) || model.versions.has(v));
    const desired = repoModel.selected ? [...repoModel.selected] : selectVersions(policy, [...present, ...repoModel.versionErrors.keys()]);
    model.selected = desired;

    for (const version of desired.sort((a, b) => a - b)) {
      const current = model.versions.get(version);
      const scanError = repoModel.versionErrors.get(version);
      if (scanError !== undefined) {
        // Only this version is affected: a copy that serves keeps serving, and its status says why it was not rescanned.
        const reason = this.#relative(scanError);
        if (current?.available) current.reason = `serving the files loaded before; the folder could not be scanned: ${reason}`;
        else model.versions.set(version, this.#unscannable(model, version, reason));
        continue;
      }
      if (current?.available) current.reason = undefined;
      if (changing.has(version)) {
        if (current?.available) current.reason = 'its folder is changing: the new files load once it is the same for a poll';
        continue;
      }
      const stamp = repoModel.versionStamps.get(version)!;
      // A version is reloaded when its files change, or when model.yaml changes anything its instance or queue was
      // built from (labels and the version policy apply without a reload).
      const upToDate = current && current.stamp === stamp && servingKey(current.config) === servingKey(model.config)
        && current.state !== 'END' && current.state !== 'UNLOADING' && !current.retryDue();
      if (upToDate) continue;
      const replacement = await this.#loadVersion(model, version, repoModel, current?.state === 'ERROR' ? current.attempts : 0);
      if (!replacement.available) failures.set(version, replacement.reason ?? 'failed to load');
      if (replacement.available) {
        model.versions.set(version, replacement);
        if (current?.available) await this.#unloadVersion(current, 'replaced by edited files');
      } else if (!current?.available) {
        model.versions.set(version, replacement); // keep the ERROR visible, unless an older copy still serves
      }
    }

    model.sourceLabels = labelsAfter;
    const desiredServing = desired.some((v) => model.versions.get(v)?.available);
    if (!desiredServing && desired.length > 0) await this.#fallBack(model, repoModel, desired);
    else model.failedFallbacks.clear();
    this.#reportFallback(model);
    for (const served of [...model.versions.values()]) {
      if (desired.includes(served.version)) continue;
      if (served.available && desiredServing) await this.#unloadVersion(served, 'no longer selected by the version policy');
      // A source that selects its own versions lists the others for the fallback only: once unloaded, they leave status.
      const listed = repoModel.selected === undefined && (repoModel.versions.has(served.version) || repoModel.versionErrors.has(served.version));
      if (!served.available && !listed) model.versions.delete(served.version);
      else if (served.state === 'ERROR') model.versions.delete(served.version);
    }
    return failures;
  }

  /**
   * No selected version loaded: the newest other version that loads serves instead (the last good version), so that
   * a broken new version, at start, on reload or on an explicit load, never leaves the model without one. A version
   * serving already (the one a hot reload was replacing) is kept; otherwise candidates are older versions for a
   * policy, and any other listed version for a source that selects its own, newest first.
   */
  async #fallBack(model: ManagedModel, repoModel: SourcedModel, desired: readonly number[]): Promise<void> {
    if (model.latestAvailable()) return;
    const newestSelected = Math.max(...desired);
    const candidates = [...repoModel.versions.keys()]
      .filter((v) => !desired.includes(v) && (repoModel.selected !== undefined || v < newestSelected))
      .sort((a, b) => b - a);
    for (const version of candidates) {
      const stamp = repoModel.versionStamps.get(version)!;
      if (model.failedFallbacks.get(version) === stamp) continue;
      const served = await this.#loadVersion(model, version, repoModel, 0);
      if (served.available) {
        model.versions.set(version, served);
        return;
      }
      model.failedFallbacks.set(version, stamp);
    }
  }

  /** Says in status and once in the log which version serves in place of the failed selected ones. */
  #reportFallback(model: ManagedModel): void {
    const fallback = model.fallback();
    if (fallback === undefined) return;
    const failed = model.selected.filter((v) => model.versions.get(v)?.state === 'ERROR');
    const reason = `last good version: serving in place of version ${failed.join(', ') || model.selected.join(', ')}, which could not be loaded`;
    if (fallback.reason !== reason) this.#options.logger.warn({ model: model.name, version: fallback.version, failed }, 'selected version failed to load; serving the last good version');
    fallback.reason = reason;
  }

  /** A model.yaml that cannot be used: reported in status and logged once per change; what serves is kept. */
  #rejectConfig(model: ManagedModel, reason: string): void {
    if (model.configError !== reason) this.#options.logger.error({ model: model.name, reason }, 'model.yaml rejected; versions already serving are kept');
    model.configError = reason;
  }

  async #loadVersion(model: ManagedModel, version: number, repoModel: SourcedModel, attempts: number): Promise<ServedVersion> {
    const { logger, executorFactory } = this.#options;
    const served = new ServedVersion(model.name, version, repoModel.versionStamps.get(version)!, model.config);
    served.attempts = attempts + 1;
    served.transition('LOADING');
    const started = performance.now();
    const loaded: ModelInstance[] = [];
    try {
      const dir = repoModel.materialize ? await repoModel.materialize(version) : repoModel.versions.get(version)!;
      const runtime = await selectRuntime(model.name, this.#options.runtimes, dir, model.config.runtime);
      for (let i = 0; i < (model.config.instances ?? 1); i++) loaded.push(await this.#loadInstance(model, served, runtime, dir));
      served.instances = loaded;
      served.instance = loaded[0];
      served.executor = executorFactory(loaded, { model: model.name, version: String(version), config: model.config, recorder: recorderFor(served.stats) });
      const warmup = repoModel.warmup?.(version);
      if (warmup) await warmUp(served, warmup);
      served.transition('AVAILABLE');
      logger.info({ model: model.name, version, runtime: runtime.name, instances: loaded.length, ms: Math.round(performance.now() - started) }, 'model version AVAILABLE');
    } catch (error) {
      await served.executor?.drain().catch(() => undefined);
      served.executor = undefined;
      await Promise.allSettled(loaded.map((instance) => instance.unload()));
      const text = isFerryError(error) ? error.message : `failed to load: ${(error as Error).message}`;
      // A load error wrapped by each layer it passed (sandbox, runtime) keeps one "failed to load model" prefix.
      const once = text.startsWith(`failed to load model '${model.name}': `) ? `failed to load model '${model.name}': ${withoutPrefix(model.name, text)}` : text;
      const reason = this.#relative(once);
      served.transition('ERROR', reason);
      // A source that could not be reached is tried again, later each time; a bad artifact waits for a change.
      if (isFerryError(error) && TRANSIENT.has(error.code)) served.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** (served.attempts - 1));
      logger.error({ model: model.name, version, reason }, 'model version failed to load');
      this.#options.onLoadFailure?.(model.name, version);
    }
    return served;
  }

  /** A version whose folder the scan could not take: in ERROR with the scan's reason, nothing loaded. */
  #unscannable(model: ManagedModel, version: number, reason: string): ServedVersion {
    const served = new ServedVersion(model.name, version, '', model.config);
    const previous = model.versions.get(version);
    if (previous?.state !== 'ERROR' || previous.reason !== reason) this.#options.logger.error({ model: model.name, version, reason }, 'model version not scanned');
    served.transition('ERROR', reason);
    return served;
  }

  /** `text` with the repository's absolute paths made relative to it and secrets masked (reasons reach unauthenticated clients). */
  #relative(text: string): string {
    const { root } = this.#options;
    const roots = [root, realpathOr(root)];
    const allowed = (this.#options.allowedPaths ?? []).flatMap((p) => [p, realpathOr(p)]);
    return redactSecrets(repositoryRelative(text, roots, allowed));
  }

  async #loadInstance(model: ManagedModel, served: ServedVersion, runtime: Runtime, dir: ModelDir): Promise<ModelInstance> {
    const { logger, threads } = this.#options;
    const { config } = model;
    // The models-as-code keys of model.yaml are also read where runtimes read their options.
    const options = {
      ...(config.python === undefined ? {} : { python: config.python }),
      ...(config.allow_pickle === undefined ? {} : { allow_pickle: config.allow_pickle }),
      ...(config.env_manager === undefined ? {} : { env_manager: config.env_manager }),
      ...config.options,
    };
    const failed = (reason: string) => this.#failed(served, reason);
    const raw = await runtime.load(
      { name: model.name, version: String(served.version), dir, options, declared: { inputs: config.inputs, outputs: config.outputs } },
      { logger, threads, failed },
    );
    try {
      return applySignatureOverrides(model.name, raw, model.config.inputs, model.config.outputs);
    } catch (error) {
      await raw.unload();
      throw error;
    }
  }

  /** An instance gave up after it was loaded (its workers keep crashing): the version goes to ERROR with why. */
  #failed(served: ServedVersion, reason: string): void {
    if (served.state !== 'AVAILABLE' && served.state !== 'LOADING') return;
    const instances = served.instances;
    const executor = served.executor;
    served.transition('ERROR', reason);
    served.instance = undefined;
    served.instances = [];
    served.executor = undefined;
    this.#options.logger.error({ model: served.model, version: served.version, reason }, 'model version failed while serving');
    void (async () => {
      await executor?.drain().catch(() => undefined);
      await Promise.allSettled(instances.map((instance) => instance.unload()));
    })();
  }

  async #unloadVersion(served: ServedVersion, why: string): Promise<void> {
    if (!served.available) return;
    served.transition('UNLOADING', why);
    try {
      await served.executor?.drain();
      await Promise.all(served.instances.map((instance) => instance.unload()));
    } catch (error) {
      this.#options.logger.error({ model: served.model, version: served.version, err: error }, 'unload failed');
    }
    served.instance = undefined;
    served.instances = [];
    served.executor = undefined;
    served.transition('END', why);
    this.#options.logger.info({ model: served.model, version: served.version, why }, 'model version unloaded');
  }

  async #unloadAll(model: ManagedModel, why: string): Promise<void> {
    await Promise.all([...model.versions.values()].map((v) => this.#unloadVersion(v, why)));
  }
}

const TRANSIENT = new Set(['FERRY_ERR_ARTIFACT_FETCH_FAILED', 'FERRY_ERR_REGISTRY_UNAVAILABLE']);

/** Runs the warm-up request through the version's own queue; a failure is the version's load failure. */
async function warmUp(served: ServedVersion, request: InferRequest): Promise<void> {
  try {
    await served.executor!.enqueue(request, {});
  } catch (error) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: served.model, detail: `warm-up request failed: ${(error as Error).message}` }, error);
  }
}

/** The parts of model.yaml a loaded version is built from. */
function servingKey(config: ModelConfig): string {
  const { labels: _labels, version_policy: _policy, source: _source, ...rest } = config;
  return JSON.stringify(rest);
}

/** One label per line (LF or CRLF); a final newline does not add an empty class. */
function parseClassLabels(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** A label must point at a version the repository has: a typo would otherwise send a label's traffic nowhere. */
function checkLabels(repoModel: SourcedModel, config: ModelConfig): void {
  const has = (v: number) => repoModel.versions.has(v) || repoModel.versionErrors.has(v);
  const broken = Object.entries(config.labels ?? {}).find(([, v]) => !has(v));
  if (broken === undefined) return;
  const present = [...repoModel.versions.keys(), ...repoModel.versionErrors.keys()].sort((a, b) => a - b);
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
    model: repoModel.name, detail: `model.yaml labels.${broken[0]}: version ${broken[1]} does not exist (versions: ${present.join(', ') || 'none'})`,
  });
}

/** A load error's text without the "failed to load model 'x': " its catalogue message starts with, however often it was wrapped. */
export function withoutPrefix(model: string, text: string): string {
  const prefix = `failed to load model '${model}': `;
  let rest = text;
  while (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  return rest;
}

function describeState(served: ServedVersion): string {
  return served.reason ? `${served.state}: ${served.reason}` : served.state;
}

/**
 * The local version folders of a model whose listing differs from the previous scan's and from the copy loaded:
 * still being written, as far as the poller can tell. A registry's versions are fetched whole and never wait.
 */
function changingVersions(model: ManagedModel, repoModel: SourcedModel): Set<number> {
  const changing = new Set<number>();
  if (repoModel.materialize !== undefined) return changing;
  for (const [version, stamp] of repoModel.versionStamps) {
    if (model.seenStamps.get(version) !== stamp && model.versions.get(version)?.stamp !== stamp) changing.add(version);
  }
  return changing;
}
