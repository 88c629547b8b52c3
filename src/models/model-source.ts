import { scanModel, scanRepository, type RepositoryModel } from '../repository/index.ts';
import type { ModelDir } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';

/**
 * One model as a source wants it served: model.yaml, and the versions to serve with a stamp each (a changed stamp
 * reloads the version). A repository folder's versions are on disk already; a registry's are fetched and
 * verified by `materialize` when they load, and may carry a request that warms them up before they take traffic.
 */
export interface SourcedModel extends RepositoryModel {
  /** Brings a version's files to local disk; absent when `versions` already names local folders. */
  readonly materialize?: (version: number, signal?: AbortSignal) => Promise<ModelDir>;
  /** A request run once on a freshly loaded version before it is swapped in; its failure fails the load. */
  readonly warmup?: (version: number) => InferRequest | undefined;
  /** Where the versions come from, for status: 'repository' or a `models:/` URI. */
  readonly origin?: string;
  /**
   * The versions to serve when the source decides itself (a registry reference names one); absent, model.yaml's
   * version policy selects among `versions`. The other versions listed are kept for the fallback: when no
   * selected version loads, the newest of them that does serves instead.
   */
  readonly selected?: readonly number[];
  /**
   * Labels the source sets (the registry aliases a graph names), beside model.yaml's, which win on a clash.
   * With them, `defaultVersion` is what a request naming neither version nor label gets (else the newest).
   */
  readonly labels?: Readonly<Record<string, number>>;
  readonly defaultVersion?: number;
}

export interface SourceScan {
  readonly models: ReadonlyMap<string, SourcedModel>;
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Models present but unreadable this time: what they serve is kept. */
  readonly unreadable: ReadonlyMap<string, string>;
}

/**
 * What the model manager serves comes from one source: the repository folder, or the registry's view over it
 * (which adds models that follow a registry alias). The manager is the mechanism — load this artifact as version
 * N, then swap atomically — and never knows which source it has.
 */
export interface ModelSource {
  list(): Promise<SourceScan>;
  /**
   * One model, or undefined when the source has none by that name. Throws what reading it failed with (a folder
   * that breaks the path rules, an I/O error) for the caller to report.
   */
  get(name: string): Promise<SourcedModel | undefined>;
}

/** The model repository folder as a source: every model folder with its version folders. */
export function repositorySource(root: string, allowedPaths: readonly string[] = []): ModelSource {
  return {
    list: () => scanRepository(root, { allowedPaths }),
    get: (name) => scanModel(root, name, { allowedPaths }),
  };
}
