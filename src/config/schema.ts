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
    /** Bytes of model files one repository load request may upload (`file:` parameters, decoded). */
    upload_max_bytes: z.number().int().min(1024).default(64 * MiB),
  }).prefault({}),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  http: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    body_limit_bytes: z.number().int().min(1024).default(64 * MiB),
    /** Listening sockets on the HTTP port (SO_REUSEPORT, Linux): each turn of the event loop accepts one per socket. */
    accept_sockets: z.number().int().min(1).max(64).default(8),
    /** A request's headers must all arrive within this; a connection that sends nothing is closed after it too. */
    headers_timeout_ms: z.number().int().min(100).default(10_000),
    /** A whole request, headers and body, must arrive within this (408 otherwise). */
    request_timeout_ms: z.number().int().min(100).default(120_000),
    /** Idle keep-alive connections close after this: longer than the 60 s idle timeout of common load balancers. */
    keep_alive_timeout_ms: z.number().int().min(100).default(72_000),
  }).prefault({}),
  grpc: z.strictObject({
    enabled: z.boolean().default(true),
    port: port.default(8081),
    /**
     * Both directions. Half of http.body_limit_bytes: grpc-js joins a received message and copies an answer into
     * its frame in one step each, about 35 ms of event loop at 32 MiB and 50-70 ms at 64 MiB (docs/security.md).
     */
    max_message_bytes: z.number().int().min(1024).default(32 * MiB),
    /** Calls one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
    max_concurrent_streams: z.number().int().min(1).default(100),
    /** A connection with no call open for this long is closed (GOAWAY). */
    idle_timeout_ms: z.number().int().min(100).default(300_000),
    /** A connection is asked to close (GOAWAY) after this long, so clients spread over new replicas. */
    max_connection_age_ms: z.number().int().min(100).default(1_800_000),
    /** Calls open when a connection reaches its age may finish within this; then it is closed. */
    max_connection_age_grace_ms: z.number().int().min(0).default(30_000),
  }).prefault({}),
  /**
   * What one request may ask and one answer may hold; each limit is named in the error that enforces it
   * (docs/security.md). Body sizes are http.body_limit_bytes and grpc.max_message_bytes.
   */
  limits: z.strictObject({
    /** Most dimensions of a request tensor. */
    max_rank: z.number().int().min(1).max(64).default(32),
    /** Most elements a request tensor's shape may span, zero dimensions counted as one (bounds every dimension). */
    max_elements: z.number().int().min(1).max(2 ** 40).default(2 ** 26),
    /** Deepest nesting of objects and lists in a JSON body (Triton's is 100). */
    max_json_depth: z.number().int().min(8).max(10_000).default(100),
    /** Longest string (key or value) in a JSON body, in characters. */
    max_string_length: z.number().int().min(256).default(16 * MiB),
    /** Largest answer body; a larger answer is refused with an error naming this setting. */
    max_response_bytes: z.number().int().min(1024).default(256 * MiB),
    /**
     * Request bytes all requests in flight may hold together, over HTTP and gRPC. A request whose declared length
     * does not fit is refused (503, Retry-After) before its body is read; one without a length, as its bytes come.
     */
    inflight_bytes: z.number().int().min(1024).default(1024 * MiB),
    /** Connections open at once, HTTP and gRPC together. At the cap a new one replaces the oldest idle HTTP one, or is refused. */
    max_connections: z.number().int().min(1).default(10_000),
    /** Open files kept free of connections (model files, logs, the registry): connections stop at the limit less these. */
    fd_reserve: z.number().int().min(0).default(128),
  }).prefault({}),
  /** TLS for the HTTP and gRPC ports: both files, or neither (plain text). */
  tls: z.strictObject({
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** CA bundle client certificates must chain to; set, every client must present one (mutual TLS). */
    client_ca_file: z.string().min(1).optional(),
    /** How often the files are checked for changes; new connections get the new certificate. */
    reload_interval_ms: z.number().int().min(50).default(5000),
  }).refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), { message: 'cert_file and key_file go together' })
    .refine((tls) => tls.client_ca_file === undefined || tls.cert_file !== undefined, { message: 'client_ca_file needs cert_file and key_file' })
    .prefault({}),
  runtime: z.strictObject({
    intra_op_threads: z.number().int().min(0).default(0),
    inter_op_threads: z.number().int().min(0).default(0),
    /** V8's heap growing factor, pinned (300 = 4x, V8's own maximum); 0 leaves it to V8 (docs/performance.md). */
    heap_growing_percent: z.number().int().min(0).max(1000).default(300),
    /** Models as code (model.py, model.js/.mjs/.ts, MLflow Python flavors) load only when this is true (`--allow-code`). */
    allow_code: z.boolean().default(false),
    /** Interpreter for Python models whose model.yaml names none. */
    python: z.string().min(1).default('python3'),
    /** Supervision of model workers (model.yaml `options:` may override each key for one model). */
    code: z.strictObject({
      load_timeout_seconds: z.number().positive().default(120),
      request_timeout_seconds: z.number().positive().default(60),
      /** How often an idle worker is pinged; 0 = never. */
      ping_interval_seconds: z.number().min(0).default(10),
      ping_timeout_seconds: z.number().positive().default(10),
      /** Replacements in a row, without an answered request between them, before the version goes to ERROR. */
      max_restarts: z.number().int().min(0).default(5),
      /** First wait before a crashed worker is replaced; doubles with each further crash in a row (30 s at most). */
      restart_backoff_ms: z.number().int().min(0).default(200),
    }).prefault({}),
    /** Environments of `env_manager: virtualenv` models, built by pip from each version's requirements.txt. */
    virtualenv: z.strictObject({
      /** Built environments, by the hash of the requirements; default `<data_dir>/virtualenvs`. */
      cache_dir: z.string().min(1).optional(),
      index_url: z.string().min(1).optional(),
      /** Wheelhouses (folders or URLs) pip may install from. */
      find_links: z.array(z.string().min(1)).default([]),
      /** Ask no index at all (air-gapped: find_links only). */
      no_index: z.boolean().default(false),
      build_timeout_seconds: z.number().positive().default(600),
    }).prefault({}),
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
      scopes: z.array(z.enum(['read', 'write', 'admin', 'infer'])).min(1),
    })).default([]),
    /** `token`: inference on every protocol needs a token with the `infer` scope (probes and /metrics stay open). */
    inference: z.enum(['open', 'token']).default('open'),
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
  /** Inference graphs: deployment files beside the repository and entries here, served as models. */
  graphs: z.strictObject({
    /** Folder of deployment files (`<name>.yaml`, Ferry graphs or SeldonDeployments); default: `deployments` beside model_repository. */
    dir: z.string().min(1).optional(),
    /** Graphs declared here: name → the same document a deployment file holds. */
    deployments: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/), z.record(z.string(), z.unknown())).default({}),
    /** Bandit state and runtime traffic changes without a registry store; default `<data_dir>/graph-state.json`. */
    state_file: z.string().min(1).optional(),
    /** How often what bandits learnt is written to the shared state and read back (replicas share PostgreSQL). */
    sync_seconds: z.number().min(0.05).max(3600).default(1),
  }).prefault({}),
  cache: z.strictObject({
    url: z.string().optional(),
  }).prefault({}),
  shutdown_grace_seconds: z.number().min(0).default(30),
  /** Server processes sharing the ports (`ferry serve --workers`), each loading the repository; auto = one per core. */
  workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default(1),
  /** Request and response payloads as CloudEvents to a file, an HTTP endpoint and/or NATS; off without a sink. */
  payload_log: z.strictObject({
    /** Share of exchanges logged (0 to 1), for models without their own rate. */
    sample_rate: z.number().min(0).max(1).default(1),
    /** Input and output names whose values are left out of every model's events. */
    redact: z.array(z.string().min(1)).default([]),
    models: z.record(z.string(), z.strictObject({
      sample_rate: z.number().min(0).max(1).optional(),
      redact: z.array(z.string().min(1)).optional(),
    })).default({}),
    /** Events each sink holds while it is slow or down; beyond it events are dropped and counted. */
    max_buffer: z.number().int().min(1).default(10_000),
    max_batch: z.number().int().min(1).default(100),
    /** Tries per batch, the first included. */
    max_attempts: z.number().int().min(1).max(20).default(3),
    retry_delay_ms: z.number().int().min(0).default(200),
    file: z.strictObject({
      path: z.string().min(1),
      max_bytes: z.number().int().min(1024).default(100 * MiB),
      max_files: z.number().int().min(0).default(5),
    }).optional(),
    http: z.strictObject({
      url: z.url(),
      timeout_ms: z.number().int().min(1).default(2000),
    }).optional(),
    nats: z.strictObject({
      url: z.string().min(1).default('nats://127.0.0.1:4222'),
      subject: z.string().min(1).default('ferry.payloads'),
      /** A JetStream stream to publish into (created with the subject when absent); unset: core NATS. */
      stream: z.string().min(1).optional(),
    }).optional(),
  }).prefault({}),
  /** OpenTelemetry traces of each request, exported over OTLP as the standard OTEL_* variables configure it. */
  tracing: z.strictObject({
    enabled: z.boolean().default(false),
  }).prefault({}),
  /** One log line per HTTP request and gRPC call (method, path, status, duration, bytes, peer). */
  access_log: z.boolean().default(false),
  readiness: z.strictObject({
    /** Models readiness waits for: every model that should be served (Triton's strict readiness), or these names. */
    require: z.union([z.literal('all'), z.array(z.string().min(1))]).default('all'),
    /** At least this many models must be ready, whichever they are. */
    min_ready: z.number().int().min(0).default(0),
    /** How long a model's own readiness check may take before it counts as not ready. */
    check_timeout_ms: z.number().int().min(1).default(500),
  }).prefault({}),
});

export type FerryConfig = z.output<typeof configSchema>;
export type FerryConfigInput = z.input<typeof configSchema>;
