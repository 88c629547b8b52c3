import { z } from 'zod';
import { describeSchemaIssue, ferryError } from '../../errors/index.ts';
import type { LoadOptions } from '../../dataplane/index.ts';
import type { Datatype } from '../../tensor/index.ts';
import { CONFIG_DATA_TYPE } from './model-config.ts';

type FerryConfig = NonNullable<LoadOptions['config']>;

const DATATYPE_OF = Object.fromEntries(Object.entries(CONFIG_DATA_TYPE).map(([datatype, name]) => [name, datatype])) as Record<string, Datatype>;

/** Triton platform/backend names → Ferry runtimes; Ferry's own runtime names are taken as they are. */
const RUNTIME_OF: Readonly<Record<string, string>> = {
  onnxruntime: 'onnx', onnxruntime_onnx: 'onnx', onnx: 'onnx', xgboost: 'xgboost', lightgbm: 'lightgbm', sklearn: 'sklearn', pmml: 'pmml',
};

/** An integer as protobuf's JSON mapping writes it: a number, or its digits in a string (how int64 fields print). */
const int = (min: number) => z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]).pipe(z.number().int().min(min));

const tensor = z.strictObject({
  name: z.string().min(1),
  data_type: z.enum(Object.keys(DATATYPE_OF) as [string, ...string[]]).optional(),
  dims: z.array(int(-1)).optional(),
  // Read by the classification extension from the model folder's labels.txt; any other name is refused below.
  label_filename: z.string().optional(),
});

/** The part of Triton's ModelConfig (model_config.proto, JSON form) that means something for Ferry. */
const tritonConfig = z.strictObject({
  name: z.string().optional(),
  platform: z.string().optional(),
  backend: z.string().optional(),
  max_batch_size: int(0).optional(),
  input: z.array(tensor).optional(),
  output: z.array(tensor).optional(),
  version_policy: z.union([
    z.strictObject({ latest: z.strictObject({ num_versions: int(1) }) }),
    z.strictObject({ all: z.strictObject({}) }),
    z.strictObject({ specific: z.strictObject({ versions: z.array(int(1)).min(1) }) }),
  ]).optional(),
  instance_group: z.array(z.strictObject({
    name: z.string().optional(),
    count: int(1).optional(),
    kind: z.enum(['KIND_AUTO', 'KIND_CPU']).optional(),
  })).optional(),
  dynamic_batching: z.strictObject({
    preferred_batch_size: z.array(int(1)).optional(),
    max_queue_delay_microseconds: int(0).optional(),
  }).optional(),
});

/**
 * Translates the `config` parameter of a repository load — Triton's model configuration as JSON text — into the
 * model.yaml Ferry loads the model with. Fields Ferry has no meaning for are refused, not ignored, so that what a
 * client asked for is what serves. With max_batch_size > 0, Triton's dims leave out the batch dimension; Ferry's
 * shapes include it (-1). The result is validated again as model.yaml when the model loads.
 */
export function configFromTriton(model: string, text: string, labelFile: string): FerryConfig {
  const refuse = (detail: string) => ferryError('FERRY_ERR_CONFIG_OVERRIDE_INVALID', { model, detail });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw refuse(`the config parameter is not JSON: ${(error as Error).message}`);
  }
  const parsed = tritonConfig.safeParse(raw);
  if (!parsed.success) {
    throw refuse(describeSchemaIssue(tritonConfig, parsed.error.issues, raw));
  }
  const config = parsed.data;
  if (config.name !== undefined && config.name !== '' && config.name !== model) throw refuse(`its name '${config.name.slice(0, 64)}' is not the model's`);
  const out: Record<string, unknown> = {};
  const engine = config.backend || config.platform;
  if (engine) {
    const runtime = RUNTIME_OF[engine];
    if (runtime === undefined) throw refuse(`backend '${engine.slice(0, 64)}' is not one Ferry runs (${Object.keys(RUNTIME_OF).join(', ')})`);
    out['runtime'] = runtime;
  }
  const batched = (config.max_batch_size ?? 0) > 0;
  const tensors = (list: z.output<typeof tensor>[]) => list.map((t) => {
    if (t.label_filename !== undefined && t.label_filename !== '' && t.label_filename !== labelFile) {
      throw refuse(`output '${t.name}': class labels are read from the model folder's ${labelFile}, not '${t.label_filename.slice(0, 64)}'`);
    }
    return {
      name: t.name,
      ...(t.data_type !== undefined ? { datatype: DATATYPE_OF[t.data_type] } : {}),
      ...(t.dims !== undefined ? { shape: batched ? [-1, ...t.dims] : t.dims } : {}),
    };
  });
  if (batched) out['max_request_rows'] = config.max_batch_size;
  if (config.input) out['inputs'] = tensors(config.input);
  if (config.output) out['outputs'] = tensors(config.output);
  const policy = config.version_policy;
  if (policy) out['version_policy'] = 'latest' in policy ? { latest: policy.latest.num_versions } : 'all' in policy ? 'all' : { specific: policy.specific.versions };
  if (config.instance_group && config.instance_group.length > 0) out['instances'] = config.instance_group.reduce((sum, g) => sum + (g.count ?? 1), 0);
  if (config.dynamic_batching) {
    out['batching'] = {
      mode: 'dynamic',
      ...(batched ? { max_batch_size: config.max_batch_size } : {}),
      ...(config.dynamic_batching.max_queue_delay_microseconds !== undefined ? { max_queue_delay_us: config.dynamic_batching.max_queue_delay_microseconds } : {}),
      ...(config.dynamic_batching.preferred_batch_size ? { preferred_batch_sizes: config.dynamic_batching.preferred_batch_size } : {}),
    };
  }
  return out as FerryConfig;
}
