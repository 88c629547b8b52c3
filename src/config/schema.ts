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
});

export type FerryConfig = z.output<typeof configSchema>;
export type FerryConfigInput = z.input<typeof configSchema>;
