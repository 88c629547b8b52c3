import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { describeSchemaIssue, ferryError, yamlErrorSummary } from '../errors/index.ts';
import { DATATYPES } from '../tensor/index.ts';

/** Which versions of a model are served (TF Serving's policy): the latest N, all, or a fixed list. */
export type VersionPolicy = { readonly kind: 'latest'; readonly count: number } | { readonly kind: 'all' } | { readonly kind: 'specific'; readonly versions: readonly number[] };

const tensorOverride = z.strictObject({
  name: z.string().min(1),
  /** The model's own name for this tensor when the served name differs. */
  source: z.string().min(1).optional(),
  datatype: z.enum(DATATYPES).optional(),
  shape: z.array(z.number().int().min(-1)).optional(),
});

const versionPolicy = z.union([
  z.literal('all').transform((): VersionPolicy => ({ kind: 'all' })),
  z.strictObject({ latest: z.number().int().min(1) }).transform((v): VersionPolicy => ({ kind: 'latest', count: v.latest })),
  z.strictObject({ all: z.literal(true) }).transform((): VersionPolicy => ({ kind: 'all' })),
  z.strictObject({ specific: z.array(z.number().int().min(1)).min(1) }).transform((v): VersionPolicy => ({ kind: 'specific', versions: v.specific })),
]);

const batchingSettings = z.strictObject({
  mode: z.enum(['off', 'dynamic', 'adaptive']),
  max_batch_size: z.number().int().min(1).optional(),
  // A minute at most: a queue delay is microseconds to milliseconds, and timers cannot wait past 2^31-1 ms.
  max_queue_delay_us: z.number().int().min(0).max(60_000_000).optional(),
  preferred_batch_sizes: z.array(z.number().int().min(1)).optional(),
  slo_ms: z.number().positive().optional(),
});
/** `batching: adaptive` is short for `batching: {mode: adaptive}`. */
const batching = z.union([
  z.enum(['off', 'dynamic', 'adaptive']).transform((mode): z.output<typeof batchingSettings> => ({ mode })),
  batchingSettings,
]);

export const modelConfigSchema = z.strictObject({
  /** Serve this model's versions from a registry: `models:/name@alias`, `models:/name/Stage`, `models:/name/N`. */
  source: z.string().regex(/^models:\/./, 'must be a models:/ URI').optional(),
  runtime: z.string().min(1).optional(),
  version_policy: versionPolicy.optional(),
  labels: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a label starts with a letter and has up to 64 letters, digits, _ or -'), z.number().int().min(1)).optional(),
  /** The label a request that names neither version nor label is served from (so that unlabelled traffic avoids a canary). */
  default_label: z.string().min(1).optional(),
  inputs: z.array(tensorOverride).optional(),
  outputs: z.array(tensorOverride).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  batching: batching.optional(),
  max_queue: z.number().int().min(1).optional(),
  /** The most rows a request may carry along its first dimension (Triton's max_batch_size); more are refused. */
  max_request_rows: z.number().int().min(1).optional(),
  instances: z.number().int().min(1).max(64).optional(),
  slo_ms: z.number().positive().optional(),
  cache: z.strictObject({ max_bytes: z.number().int().min(1).optional(), ttl_s: z.number().positive().optional() }).optional(),
  default_output: z.record(z.string(), z.unknown()).optional(),
  /** Models as code: the interpreter (relative to the model's folder, or a name on PATH); same as `options.python`. */
  python: z.string().min(1).optional(),
  /** Pickle, joblib and cloudpickle files of this model may be loaded (MLflow sklearn, python_model); same as `options.allow_pickle`. */
  allow_pickle: z.boolean().optional(),
  /** MLflow `env_manager`: `local` (the interpreter above) or `virtualenv` (built from the version's requirements); same as `options.env_manager`. */
  env_manager: z.enum(['local', 'virtualenv']).optional(),
});

/** Cross-field rules zod's object schema cannot state: `default_label` names a label that exists. */
function checkReferences(config: z.output<typeof modelConfigSchema>): string | undefined {
  if (config.default_label !== undefined && config.labels?.[config.default_label] === undefined) {
    const known = Object.keys(config.labels ?? {});
    return `model.yaml default_label: '${config.default_label}' is not a label (labels: ${known.length ? known.join(' | ') : 'none'})`;
  }
  return undefined;
}

export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type ModelConfig = z.output<typeof modelConfigSchema>;
export type TensorOverride = z.output<typeof tensorOverride>;

export const DEFAULT_VERSION_POLICY: VersionPolicy = { kind: 'latest', count: 1 };

/** Parses and validates a model.yaml document; errors name the model and the offending key. */
export function parseModelConfig(model: string, text: string): ModelConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (cause) {
    // No cause attached: the parser's own message quotes the document.
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `model.yaml is not valid YAML: ${yamlErrorSummary(cause)}` });
  }
  const result = modelConfigSchema.safeParse(raw);
  if (!result.success) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `model.yaml ${describeSchemaIssue(modelConfigSchema, result.error.issues, raw)}` });
  }
  const broken = checkReferences(result.data);
  if (broken !== undefined) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: broken });
  return result.data;
}

/** The version numbers a policy selects from those present in the repository. */
export function selectVersions(policy: VersionPolicy, present: readonly number[]): number[] {
  const sorted = [...present].sort((a, b) => b - a);
  switch (policy.kind) {
    case 'latest':
      return sorted.slice(0, policy.count);
    case 'all':
      return sorted;
    case 'specific':
      return sorted.filter((v) => policy.versions.includes(v));
  }
}
