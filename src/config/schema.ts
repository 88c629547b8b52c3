import { z } from 'zod';

const MiB = 1024 * 1024;
const port = z.number().int().min(0).max(65535);

/** ferry.yaml, FERRY_* variables and CLI flags all fill this one schema (snake_case, as in ferry.yaml). */
export const configSchema = z.strictObject({
  model_repository: z.string().min(1).default('./models'),
  poll_seconds: z.number().min(0).default(5),
  repository: z.strictObject({
    /**
     * Folders outside model_repository that symbolic links in it may resolve into (volumes mounted elsewhere and
     * linked in). Links to anywhere else are not followed.
     */
    allowed_paths: z.array(z.string().min(1)).default([]),
    /** Heap (MiB) one model file may use while it is first loaded in the load sandbox (XGBoost, LightGBM, sklearn, PMML). */
    load_memory_mb: z.number().int().min(16).default(2048),
    /** Time one model file may take to load in the load sandbox. */
    load_timeout_seconds: z.number().positive().default(120),
  }).prefault({}),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  http: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    body_limit_bytes: z.number().int().min(1024).default(64 * MiB),
    /** Listening sockets on the HTTP port (SO_REUSEPORT, Linux): each turn of the event loop accepts one per socket. */
    accept_sockets: z.number().int().min(1).max(64).default(8),
  }).prefault({}),
  grpc: z.strictObject({
    enabled: z.boolean().default(true),
    port: port.default(8081),
    max_message_bytes: z.number().int().min(1024).default(64 * MiB),
  }).prefault({}),
  runtime: z.strictObject({
    intra_op_threads: z.number().int().min(0).default(0),
    inter_op_threads: z.number().int().min(0).default(0),
    /** V8's heap growing factor, pinned (300 = 4x, V8's own maximum); 0 leaves it to V8 (docs/performance.md). */
    heap_growing_percent: z.number().int().min(0).max(1000).default(300),
  }).prefault({}),
  /** Where Ferry keeps its own state: the SQLite registry, registered artifacts, the artifact cache. */
  data_dir: z.string().min(1).default('./ferry-data'),
  auth: z.strictObject({
    /** One bearer token with every scope, named `default` in the audit log. */
    token: z.string().min(16).optional(),
    /** Named tokens with scopes; the name is the actor the audit log records. */
    tokens: z.array(z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/),
      token: z.string().min(16),
      scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
    })).default([]),
    /** Management from 127.0.0.1/::1 without a token (as actor `loopback`, every scope): only when set. */
    allow_loopback_without_token: z.boolean().default(false),
  }).prefault({}),
  registry: z.strictObject({
    enabled: z.boolean().default(true),
    /** `sqlite:<file>` or `postgres://...`; default `sqlite:<data_dir>/registry.db`. */
    store: z.string().min(1).optional(),
    /** How often a server looks for registry changes (PostgreSQL also pushes them at once). */
    poll_seconds: z.number().min(0.05).max(3600).default(1),
    artifacts: z.strictObject({
      /** Where registered artifacts are kept on local disk; always allowed. Default `<data_dir>/artifacts`. */
      root: z.string().min(1).optional(),
      /** Fetched artifacts by digest. Default `<data_dir>/artifact-cache`. */
      cache_dir: z.string().min(1).optional(),
      /** Other sources that may be read: local folders, `s3://bucket/prefix/`, `https://host/path/`. */
      allow: z.array(z.string().min(1)).default([]),
      max_bytes: z.number().int().min(1).default(16 * 1024 * MiB),
      max_files: z.number().int().min(1).max(100_000).default(10_000),
      s3: z.strictObject({
        endpoint: z.string().url().optional(),
        region: z.string().min(1).optional(),
        force_path_style: z.boolean().optional(),
      }).prefault({}),
    }).prefault({}),
    /** An MLflow tracking server whose registry `models:/` URIs may name (MLFLOW_TRACKING_URI). */
    mlflow: z.strictObject({
      tracking_uri: z.string().url().optional(),
      token: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
    }).prefault({}),
  }).prefault({}),
  /** Models served from a registry: served name → `models:/name@alias`, `models:/name/Stage` or `models:/name/3`. */
  models: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/), z.string().regex(/^models:\/./)).default({}),
  cache: z.strictObject({
    url: z.string().optional(),
  }).prefault({}),
  shutdown_grace_seconds: z.number().min(0).default(30),
});

export type FerryConfig = z.output<typeof configSchema>;
export type FerryConfigInput = z.input<typeof configSchema>;
