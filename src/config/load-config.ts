import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describeSchemaIssue, ferryError, yamlErrorSummary } from '../errors/index.ts';
import { configSchema, type FerryConfig } from './schema.ts';

/** FERRY_* (and MLflow's own MLFLOW_TRACKING_*) environment variables and the config path each sets. */
const ENV_KEYS: Record<string, { path: readonly string[]; type: 'string' | 'number' | 'boolean' | 'paths' | 'list' | 'count' | 'tokens' }> = {
  FERRY_MODEL_REPOSITORY: { path: ['model_repository'], type: 'string' },
  FERRY_POLL_SECONDS: { path: ['poll_seconds'], type: 'number' },
  FERRY_REPOSITORY_ALLOWED_PATHS: { path: ['repository', 'allowed_paths'], type: 'paths' },
  FERRY_REPOSITORY_LOAD_MEMORY_MB: { path: ['repository', 'load_memory_mb'], type: 'number' },
  FERRY_REPOSITORY_LOAD_TIMEOUT_SECONDS: { path: ['repository', 'load_timeout_seconds'], type: 'number' },
  FERRY_REPOSITORY_UPLOAD_MAX_BYTES: { path: ['repository', 'upload_max_bytes'], type: 'number' },
  FERRY_LOG_LEVEL: { path: ['log_level'], type: 'string' },
  FERRY_HOST: { path: ['http', 'host'], type: 'string' },
  FERRY_HTTP_PORT: { path: ['http', 'port'], type: 'number' },
  FERRY_HTTP_BODY_LIMIT_BYTES: { path: ['http', 'body_limit_bytes'], type: 'number' },
  FERRY_HTTP_ACCEPT_SOCKETS: { path: ['http', 'accept_sockets'], type: 'number' },
  FERRY_GRPC_ENABLED: { path: ['grpc', 'enabled'], type: 'boolean' },
  FERRY_GRPC_PORT: { path: ['grpc', 'port'], type: 'number' },
  FERRY_GRPC_MAX_MESSAGE_BYTES: { path: ['grpc', 'max_message_bytes'], type: 'number' },
  FERRY_TLS_CERT_FILE: { path: ['tls', 'cert_file'], type: 'string' },
  FERRY_TLS_KEY_FILE: { path: ['tls', 'key_file'], type: 'string' },
  FERRY_TLS_CLIENT_CA_FILE: { path: ['tls', 'client_ca_file'], type: 'string' },
  FERRY_LIMITS_INFLIGHT_BYTES: { path: ['limits', 'inflight_bytes'], type: 'number' },
  FERRY_LIMITS_MAX_CONNECTIONS: { path: ['limits', 'max_connections'], type: 'number' },
  FERRY_LIMITS_MAX_RANK: { path: ['limits', 'max_rank'], type: 'number' },
  FERRY_LIMITS_MAX_ELEMENTS: { path: ['limits', 'max_elements'], type: 'number' },
  FERRY_LIMITS_MAX_JSON_DEPTH: { path: ['limits', 'max_json_depth'], type: 'number' },
  FERRY_LIMITS_MAX_STRING_LENGTH: { path: ['limits', 'max_string_length'], type: 'number' },
  FERRY_LIMITS_MAX_RESPONSE_BYTES: { path: ['limits', 'max_response_bytes'], type: 'number' },
  FERRY_INTRA_OP_THREADS: { path: ['runtime', 'intra_op_threads'], type: 'number' },
  FERRY_INTER_OP_THREADS: { path: ['runtime', 'inter_op_threads'], type: 'number' },
  FERRY_HEAP_GROWING_PERCENT: { path: ['runtime', 'heap_growing_percent'], type: 'number' },
  FERRY_ALLOW_CODE: { path: ['runtime', 'allow_code'], type: 'boolean' },
  FERRY_PYTHON: { path: ['runtime', 'python'], type: 'string' },
  FERRY_AUTH_TOKEN: { path: ['auth', 'token'], type: 'string' },
  FERRY_AUTH_TOKENS: { path: ['auth', 'tokens'], type: 'tokens' },
  FERRY_AUTH_ALLOW_LOOPBACK_WITHOUT_TOKEN: { path: ['auth', 'allow_loopback_without_token'], type: 'boolean' },
  FERRY_AUTH_INFERENCE: { path: ['auth', 'inference'], type: 'string' },
  FERRY_DATA_DIR: { path: ['data_dir'], type: 'string' },
  FERRY_REGISTRY_ENABLED: { path: ['registry', 'enabled'], type: 'boolean' },
  FERRY_REGISTRY_STORE: { path: ['registry', 'store'], type: 'string' },
  FERRY_REGISTRY_POLL_SECONDS: { path: ['registry', 'poll_seconds'], type: 'number' },
  FERRY_REGISTRY_ARTIFACTS_ALLOW: { path: ['registry', 'artifacts', 'allow'], type: 'list' },
  FERRY_REGISTRY_S3_ENDPOINT: { path: ['registry', 'artifacts', 's3', 'endpoint'], type: 'string' },
  MLFLOW_TRACKING_URI: { path: ['registry', 'mlflow', 'tracking_uri'], type: 'string' },
  MLFLOW_TRACKING_TOKEN: { path: ['registry', 'mlflow', 'token'], type: 'string' },
  MLFLOW_TRACKING_USERNAME: { path: ['registry', 'mlflow', 'username'], type: 'string' },
  MLFLOW_TRACKING_PASSWORD: { path: ['registry', 'mlflow', 'password'], type: 'string' },
  FERRY_CACHE_URL: { path: ['cache', 'url'], type: 'string' },
  FERRY_SHUTDOWN_GRACE_SECONDS: { path: ['shutdown_grace_seconds'], type: 'number' },
  FERRY_PAYLOAD_LOG_SAMPLE_RATE: { path: ['payload_log', 'sample_rate'], type: 'number' },
  FERRY_PAYLOAD_LOG_FILE: { path: ['payload_log', 'file', 'path'], type: 'string' },
  FERRY_PAYLOAD_LOG_HTTP_URL: { path: ['payload_log', 'http', 'url'], type: 'string' },
  FERRY_PAYLOAD_LOG_NATS_URL: { path: ['payload_log', 'nats', 'url'], type: 'string' },
  FERRY_PAYLOAD_LOG_NATS_SUBJECT: { path: ['payload_log', 'nats', 'subject'], type: 'string' },
  FERRY_PAYLOAD_LOG_NATS_STREAM: { path: ['payload_log', 'nats', 'stream'], type: 'string' },
  FERRY_WORKERS: { path: ['workers'], type: 'count' },
  FERRY_TRACING_ENABLED: { path: ['tracing', 'enabled'], type: 'boolean' },
  FERRY_ACCESS_LOG: { path: ['access_log'], type: 'boolean' },
  FERRY_READINESS_REQUIRE: { path: ['readiness', 'require'], type: 'list' },
  FERRY_READINESS_MIN_READY: { path: ['readiness', 'min_ready'], type: 'number' },
};

type Tree = Record<string, unknown>;

export interface ConfigSources {
  /** Path of a ferry.yaml; when absent, ./ferry.yaml is read if it exists. */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, already in config shape; they win over everything. */
  readonly overrides?: Tree;
}

/** Merges defaults < ferry.yaml < FERRY_* < flags, validates once and deep-freezes the result. */
export function loadConfig(sources: ConfigSources = {}): Readonly<FerryConfig> {
  const fromFile = readFile(sources.file);
  const fromEnv = readEnv(sources.env ?? process.env);
  const merged = merge(merge(fromFile, fromEnv), sources.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: describeSchemaIssue(configSchema, result.error.issues, merged) });
  }
  return deepFreeze(result.data);
}

function readFile(file: string | undefined): Tree {
  const path = file ?? (existsSync('ferry.yaml') ? 'ferry.yaml' : undefined);
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `cannot read ${path}: ${(error as Error).message}` });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (error) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${path}: ${yamlErrorSummary(error)}` });
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${path}: the document must be a mapping` });
  return parsed as Tree;
}

function readEnv(env: NodeJS.ProcessEnv): Tree {
  const tree: Tree = {};
  for (const [name, { path, type }] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (type === 'number') value = Number(raw);
    // A list variable is comma-separated; `all` (readiness.require) stays the word.
    if (type === 'list') value = raw === 'all' ? raw : raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    // A count is a number or the word `auto`.
    if (type === 'count') value = raw === 'auto' ? raw : Number(raw);
    if (type === 'boolean') value = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    if (type === 'paths') value = raw.split(delimiter).filter((p) => p !== ''); // as PATH is written: ':' on Linux
    if (type === 'tokens') value = parseTokens(name, raw);
    if ((type === 'number' || type === 'count') && Number.isNaN(value)) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${name}='${raw}' is not a number` });
    setPath(tree, path, value);
  }
  return tree;
}

/**
 * `FERRY_AUTH_TOKENS=name:scope+scope:token,...` (a token may contain ':' but not ','). The error never repeats
 * the value: it holds secrets.
 */
function parseTokens(variable: string, raw: string): unknown[] {
  return raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0).map((item, index) => {
    const [name, scopes, ...rest] = item.split(':');
    if (!name || !scopes || rest.length === 0) {
      throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `${variable} entry ${index + 1} must be name:scope+scope:token` });
    }
    return { name, scopes: scopes.split('+'), token: rest.join(':') };
  });
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[path.at(-1)!] = value;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isTree(value) && isTree(current) ? merge(current, value) : value;
  }
  return out;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (isTree(value)) for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
