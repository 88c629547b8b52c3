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
  auth: z.strictObject({
    /** Bearer token for management endpoints; without one they answer only loopback clients. */
    token: z.string().min(16).optional(),
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
