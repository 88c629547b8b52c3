import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** MLflow's dtypes (tensor specs) and column types, as V2 datatypes. */
const DATATYPES: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL', str: 'BYTES', object: 'BYTES',
  double: 'FP64', float: 'FP32', integer: 'INT32', long: 'INT64', boolean: 'BOOL', string: 'BYTES', binary: 'BYTES',
};

interface TensorSpec { name: string; datatype: string; shape: number[] }

/**
 * An MLflow model folder's MLmodel, when the folder has one: its signature as V2 tensor metadata, its run, and its
 * saved input example as V2 JSON inputs.
 */
export async function readMlflowModel(folder: string): Promise<{ signature?: unknown; inputExample?: unknown; runId?: string } | undefined> {
  const text = await readFile(path.join(folder, 'MLmodel'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const mlmodel = parseYaml(text) as { signature?: { inputs?: string; outputs?: string }; saved_input_example_info?: { artifact_path?: string }; run_id?: string };
  const specs = (json: string | undefined): TensorSpec[] => (json ? (JSON.parse(json) as Record<string, unknown>[]) : []).map((spec, i) => {
    const tensor = spec['tensor-spec'] as { dtype?: string; shape?: number[] } | undefined;
    const type = tensor ? tensor.dtype : String(spec['type']);
    return { name: String(spec['name'] ?? `input_${i}`), datatype: DATATYPES[type ?? ''] ?? 'BYTES', shape: tensor?.shape ?? [-1] };
  });
  const inputs = specs(mlmodel.signature?.inputs);
  const outputs = specs(mlmodel.signature?.outputs);
  const out: { signature?: unknown; inputExample?: unknown; runId?: string } = {};
  if (inputs.length) out.signature = { inputs, outputs };
  if (mlmodel.run_id) out.runId = mlmodel.run_id;
  const examplePath = mlmodel.saved_input_example_info?.artifact_path;
  // The example is a file of the model folder: a path that leaves it (absolute, `..`) is not followed.
  if (examplePath && inputs.length && !path.isAbsolute(examplePath) && !examplePath.split(/[\\/]/).includes('..')) {
    const raw = await readFile(path.join(folder, examplePath), 'utf8').catch(() => undefined);
    if (raw !== undefined) out.inputExample = toV2Inputs(JSON.parse(raw), inputs);
  }
  return out;
}

/** MLflow's saved examples ({"inputs": {...}} / {"inputs": [...]} / pandas split) as V2 JSON inputs. */
function toV2Inputs(example: unknown, inputs: readonly TensorSpec[]): unknown {
  const tensor = (spec: TensorSpec, data: unknown) => ({ name: spec.name, datatype: spec.datatype, shape: shapeOf(data), data: [data].flat(Infinity) });
  const body = example as { inputs?: unknown; instances?: unknown; columns?: string[]; data?: unknown[][] };
  const payload = body.inputs ?? body.instances;
  if (payload !== undefined && typeof payload === 'object' && !Array.isArray(payload)) {
    return { inputs: inputs.filter((s) => (payload as Record<string, unknown>)[s.name] !== undefined).map((s) => tensor(s, (payload as Record<string, unknown>)[s.name])) };
  }
  if (Array.isArray(payload) && inputs[0]) return { inputs: [tensor(inputs[0], payload)] };
  if (Array.isArray(body.columns) && Array.isArray(body.data)) {
    return { inputs: body.columns.map((column, c) => ({ ...tensor(inputs.find((s) => s.name === column) ?? { name: column, datatype: 'FP64', shape: [-1] }, body.data!.map((row) => row[c])) })) };
  }
  return undefined;
}

function shapeOf(data: unknown): number[] {
  const shape: number[] = [];
  let node = data;
  while (Array.isArray(node)) {
    shape.push(node.length);
    node = node[0];
  }
  return shape;
}
