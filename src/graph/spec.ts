import { z } from 'zod';

const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a node name is 1-64 letters, digits, _ . -');
const upstream = z.array(nodeName).min(1).optional();

/** One step of a built-in transformer, applied in order to the tensors it receives. */
export const stepSchema = z.union([
  z.strictObject({ rename: z.record(z.string().min(1), z.string().min(1)) }),
  z.strictObject({ select: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ cast: z.record(z.string().min(1), z.enum(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64'])) }),
  z.strictObject({ reshape: z.record(z.string().min(1), z.array(z.number().int().min(-1)).min(1)) }),
  z.strictObject({
    standardize: z.record(z.string().min(1), z.strictObject({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) })),
  }),
]);
export type TransformStep = z.infer<typeof stepSchema>;

const armSchema = z.strictObject({
  name: nodeName,
  node: nodeName,
  weight: z.number().min(0).max(1).optional(),
});
export type ArmSpec = z.infer<typeof armSchema>;

/** Gates a canary must keep while its weight steps up, each relative to the primary arm. */
const gatesSchema = z.strictObject({
  /** Arm whose weight steps up; the other arm is the primary it is compared with. */
  canary: nodeName,
  /** Weights the canary steps through, one per window while the gates hold. */
  steps: z.array(z.number().min(0).max(1)).min(1),
  window_seconds: z.number().positive().default(60),
  /** Requests the canary must answer in a window before it is judged. */
  min_requests: z.number().int().min(1).default(20),
  /** Canary error rate may exceed the primary's by at most this much (0.05 = 5 points). */
  max_error_rate_increase: z.number().min(0).max(1).optional(),
  /** Canary p99 latency may be at most this multiple of the primary's. */
  max_p99_ratio: z.number().min(1).optional(),
  /** Shadow agreement with the primary must stay at or above this share (with a shadow router naming the canary). */
  min_agreement: z.number().min(0).max(1).optional(),
});
export type GatesSpec = z.infer<typeof gatesSchema>;

const routerSchema = z.strictObject({
  name: nodeName,
  type: z.literal('router'),
  policy: z.enum(['split', 'ab', 'shadow', 'header', 'epsilon_greedy', 'thompson_sampling']),
  arms: z.array(armSchema).min(1),
  /** split/ab: keep one key on one arm: the value of this request parameter, else of this header. */
  sticky: z.strictObject({ parameter: z.string().min(1).optional(), header: z.string().min(1).optional() }).optional(),
  /** header: which header or request parameter picks the arm, and the value → arm table. */
  match: z.strictObject({
    header: z.string().min(1).optional(),
    parameter: z.string().min(1).optional(),
    values: z.record(z.string(), nodeName),
    default: nodeName,
  }).optional(),
  /** ab: the experiment's name, reported with the route. */
  experiment: z.string().min(1).optional(),
  /** shadow: the share of requests mirrored to the candidate (arms: the first is primary, the others shadows). */
  mirror: z.number().min(0).max(1).default(1),
  /** shadow agreement: outputs within this absolute difference agree (labels must be equal). */
  tolerance: z.number().min(0).default(1e-6),
  epsilon: z.number().min(0).max(1).default(0.1),
  gates: gatesSchema.optional(),
});

const modelSchema = z.strictObject({
  name: nodeName,
  type: z.literal('model'),
  /** A served model: `name`, or `name@alias` (a version label of the model). */
  model: z.string().min(1),
  version: z.union([z.string().regex(/^[0-9]+$/), z.number().int().min(1)]).optional(),
  inputs: upstream,
  /** Not required for the graph to be ready (a shadow candidate, an optional arm). */
  optional: z.boolean().default(false),
});

const remoteSchema = z.strictObject({
  name: nodeName,
  type: z.literal('remote'),
  /** `http(s)://host:port` (V2 REST) or `grpc://host:port` (V2 gRPC). */
  url: z.string().regex(/^(https?|grpc):\/\/[^/]+/, 'url is http(s)://host:port or grpc://host:port'),
  model: z.string().min(1),
  version: z.string().min(1).optional(),
  timeout_ms: z.number().int().min(1).default(2000),
  retries: z.number().int().min(0).max(10).default(1),
  /** The remote model's inputs and outputs, when the graph is validated before the remote is reachable. */
  inputs: upstream,
  optional: z.boolean().default(false),
});

const transformerSchema = z.strictObject({
  name: nodeName,
  type: z.enum(['transformer', 'output_transformer']),
  /** Built-in steps; or, instead, `model`. */
  steps: z.array(stepSchema).min(1).optional(),
  /** A model served from code (model.py, a JS defineModel, an MLflow python_function): `name` or `name@alias`. */
  model: z.string().min(1).optional(),
  version: z.union([z.string().regex(/^[0-9]+$/), z.number().int().min(1)]).optional(),
  inputs: upstream,
});

const combinerSchema = z.strictObject({
  name: nodeName,
  type: z.literal('combiner'),
  method: z.enum(['average', 'weighted_average', 'majority_vote', 'concat', 'max']),
  inputs: z.array(nodeName).min(2),
  weights: z.array(z.number().min(0)).optional(),
  /** Which output of each input to combine (default: each input's first). */
  output: z.string().min(1).optional(),
});

export const nodeSchema = z.discriminatedUnion('type', [modelSchema, remoteSchema, transformerSchema, combinerSchema, routerSchema]);
export type NodeSpec = z.infer<typeof nodeSchema>;
export type RouterSpec = z.infer<typeof routerSchema>;
export type ModelNodeSpec = z.infer<typeof modelSchema>;
export type RemoteNodeSpec = z.infer<typeof remoteSchema>;
export type TransformerSpec = z.infer<typeof transformerSchema>;
/** A transformer that runs a model served from code instead of built-in steps. */
export type CodeTransformerSpec = TransformerSpec & { readonly model: string };
/** A node that calls a model through the data plane. */
export type CallsModelSpec = ModelNodeSpec | CodeTransformerSpec;

export function callsModel(node: NodeSpec): node is CallsModelSpec {
  return node.type === 'model' || ((node.type === 'transformer' || node.type === 'output_transformer') && node.model !== undefined);
}
export type CombinerSpec = z.infer<typeof combinerSchema>;

/** A deployment file (`deployments/<name>.yaml`) or an entry of ferry.yaml `graphs:`. */
export const graphSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/).optional(),
  /** The node whose answer is the graph's answer (default: the last node). */
  output: nodeName.optional(),
  nodes: z.array(nodeSchema).min(1),
});
export type GraphSpecInput = z.input<typeof graphSchema>;
export interface GraphSpec extends Omit<z.infer<typeof graphSchema>, 'name' | 'output'> {
  readonly name: string;
  readonly output: string;
}
