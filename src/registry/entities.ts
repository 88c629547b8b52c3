/** The registry's records. Times are epoch milliseconds (MLflow's unit); names follow model names' rules. */

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export type Tags = Readonly<Record<string, string>>;

export interface RegisteredModel {
  readonly name: string;
  readonly description: string;
  readonly tags: Tags;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Alias → version number. */
  readonly aliases: Readonly<Record<string, number>>;
}

/** One file of an artifact folder, with its own digest, as recorded at registration. */
export interface ArtifactFileRecord {
  /** Relative, '/'-separated, never '..' or absolute. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** MLflow's model version status: a version is READY once its artifact was read and its digest recorded. */
export type VersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  /** Where the artifact lives: file://, s3://, http(s):// (or a path the artifact stores understand). */
  readonly source: string;
  /** `sha256:<hex>` over the artifact's manifest (see artifact digest); empty while not READY. */
  readonly digest: string;
  readonly files: readonly ArtifactFileRecord[];
  /** The runtime that serves it (onnx, xgboost, ...), or '' to let Ferry recognise the files. */
  readonly runtime: string;
  /** The model's input/output signature as recorded at registration (free-form JSON). */
  readonly signature: unknown;
  /** An example request (V2 JSON inputs) that warms a freshly loaded version up before it takes traffic. */
  readonly inputExample: unknown;
  readonly metrics: Readonly<Record<string, number>>;
  readonly tags: Tags;
  readonly description: string;
  readonly runId: string;
  readonly stage: Stage;
  readonly status: VersionStatus;
  readonly statusMessage: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly updatedAt: number;
  /** Aliases pointing at this version. */
  readonly aliases: readonly string[];
}

export interface NewModel {
  readonly name: string;
  readonly description?: string;
  readonly tags?: Tags;
}

export interface NewVersion {
  readonly source: string;
  readonly digest?: string;
  readonly files?: readonly ArtifactFileRecord[];
  readonly runtime?: string;
  readonly signature?: unknown;
  readonly inputExample?: unknown;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly tags?: Tags;
  readonly description?: string;
  readonly runId?: string;
  readonly status?: VersionStatus;
  readonly statusMessage?: string;
}

export type AuditAction =
  | 'model.create' | 'model.update' | 'model.rename' | 'model.delete'
  | 'model.tag.set' | 'model.tag.delete'
  | 'version.create' | 'version.update' | 'version.delete' | 'version.stage'
  | 'version.tag.set' | 'version.tag.delete'
  | 'alias.set' | 'alias.delete'
  /** Inference-graph traffic changes (set_weights, promote, rollback, gate_step, auto_rollback); alias is the router. */
  | `graph.${string}`;

/** What an inference graph's bandit learnt about one arm of a router: pulls and the sum of their rewards. */
export interface GraphArmStats {
  readonly router: string;
  readonly arm: string;
  readonly pulls: number;
  readonly reward: number;
}

/** One change, as it happened: who, when, what, and the record before and after (null when absent). */
export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: AuditAction;
  readonly model: string;
  readonly version: number | null;
  readonly alias: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

export interface AuditQuery {
  readonly model?: string;
  readonly alias?: string;
  /** Entries with an id greater than this (the change feed). */
  readonly afterId?: number;
  /** Entries with an id smaller than this (paging backwards). */
  readonly beforeId?: number;
  readonly limit?: number;
  /** Oldest first (the change feed) instead of newest first (history). */
  readonly ascending?: boolean;
}

export interface ModelQuery {
  /** SQL LIKE pattern on the name (MLflow's `name LIKE '...'`), case-sensitive. */
  readonly nameLike?: string;
  readonly nameILike?: string;
  readonly name?: string;
  readonly tags?: Tags;
  readonly limit?: number;
  /** Skip the first N (page tokens are offsets). */
  readonly offset?: number;
}

export interface VersionQuery {
  readonly model?: string;
  readonly models?: readonly string[];
  readonly version?: number;
  readonly source?: string;
  readonly runId?: string;
  readonly stages?: readonly Stage[];
  readonly tags?: Tags;
  readonly limit?: number;
  readonly offset?: number;
}

/** Every write names who made it: the token's name, `cli:<user>`, or `loopback`. */
export interface Actor {
  readonly name: string;
}
