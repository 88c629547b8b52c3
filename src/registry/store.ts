import type {
  Actor, AuditEntry, AuditQuery, GraphArmStats, ModelQuery, ModelVersion, NewModel, NewVersion, RegisteredModel, Stage, Tags, VersionQuery,
} from './entities.ts';

/**
 * Where the registry keeps its records. Every write takes the actor, runs in one transaction and appends one audit
 * entry in that transaction (the one audit path), so an entry exists for each change and for no change that did
 * not happen. Implementations are safe to call concurrently, from several processes where their backend is
 * shared: version numbers are handed out once each. `src/registry/store.case.ts` is the conformance suite.
 */
export interface RegistryStore {
  /** 'sqlite' or 'postgres': for logs and status. */
  readonly kind: string;

  createModel(model: NewModel, actor: Actor): Promise<RegisteredModel>;
  getModel(name: string): Promise<RegisteredModel>;
  listModels(query?: ModelQuery): Promise<RegisteredModel[]>;
  updateModel(name: string, change: { readonly description?: string }, actor: Actor): Promise<RegisteredModel>;
  renameModel(name: string, newName: string, actor: Actor): Promise<RegisteredModel>;
  /** Deletes the model, its versions and aliases; the audit log keeps their history. */
  deleteModel(name: string, actor: Actor): Promise<void>;
  setModelTag(name: string, key: string, value: string, actor: Actor): Promise<RegisteredModel>;
  deleteModelTag(name: string, key: string, actor: Actor): Promise<RegisteredModel>;

  /** Records the next version number (highest ever + 1, never reused after a delete). */
  createVersion(model: string, version: NewVersion, actor: Actor): Promise<ModelVersion>;
  getVersion(model: string, version: number): Promise<ModelVersion>;
  listVersions(query?: VersionQuery): Promise<ModelVersion[]>;
  updateVersion(
    model: string, version: number,
    change: { readonly description?: string; readonly digest?: string; readonly files?: ModelVersion['files']; readonly status?: ModelVersion['status']; readonly statusMessage?: string },
    actor: Actor,
  ): Promise<ModelVersion>;
  deleteVersion(model: string, version: number, actor: Actor): Promise<void>;
  setVersionTag(model: string, version: number, key: string, value: string, actor: Actor): Promise<ModelVersion>;
  deleteVersionTag(model: string, version: number, key: string, actor: Actor): Promise<ModelVersion>;
  /** Moves a version to a stage; with `archiveExisting`, other versions in that stage move to Archived. */
  transitionStage(model: string, version: number, stage: Stage, archiveExisting: boolean, actor: Actor): Promise<ModelVersion>;

  /** Points an alias at a version (creating or moving it). */
  setAlias(model: string, alias: string, version: number, actor: Actor): Promise<ModelVersion>;
  deleteAlias(model: string, alias: string, actor: Actor): Promise<void>;
  getVersionByAlias(model: string, alias: string): Promise<ModelVersion>;

  /**
   * Adds to inference-graph arms' bandit statistics. Additive, so that replicas sharing the store learn together;
   * not audited (it is traffic, not a change of what serves).
   */
  addGraphArmStats(graph: string, deltas: readonly GraphArmStats[]): Promise<void>;
  graphArmStats(graph: string): Promise<GraphArmStats[]>;
  /** Sets a graph router's traffic weights (arm → weight), audited as `graph.<action>` under the graph's name. */
  setGraphTraffic(graph: string, router: string, weights: Readonly<Record<string, number>>, action: string, actor: Actor): Promise<void>;
  /** Every router's weights set at run time: router → arm → weight. */
  graphTraffic(graph: string): Promise<Record<string, Record<string, number>>>;

  /** The audit log, newest first unless `ascending`. */
  audit(query?: AuditQuery): Promise<AuditEntry[]>;
  /** The id of the newest audit entry (0 when none): a cheap "did anything change" for pollers. */
  lastChangeId(): Promise<number>;

  /**
   * Calls `listener` soon after any process commits a change, where the backend can push (PostgreSQL
   * LISTEN/NOTIFY). Resolves to the unsubscribe function, or to undefined where only polling works.
   */
  subscribe(listener: () => void, onError: (error: Error) => void): Promise<(() => Promise<void>) | undefined>;

  close(): Promise<void>;
}

export type { Tags };
