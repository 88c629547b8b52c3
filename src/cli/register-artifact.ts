import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { selectRuntime } from '../models/runtime-selection.ts';
import type { NewVersion } from '../registry/index.ts';
import { digestLocal, localPath, schemeOf } from '../repository/artifacts/index.ts';
import { builtinRuntimes } from '../runtimes/builtin.ts';

/** MLflow's dtypes (tensor specs) and column types, as V2 datatypes. */
const DATATYPES: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL', str: 'BYTES', object: 'BYTES',
  double: 'FP64', float: 'FP32', integer: 'INT32', long: 'INT64', boolean: 'BOOL', string: 'BYTES', binary: 'BYTES',
};

interface TensorSpec { name: string; datatype: string; shape: number[] }

export interface PreparedArtifact {
  readonly version: NewVersion;
  /** What was read, for the person running the command. */
  readonly notes: readonly string[];
}

/**
 * Prepares `ferry registry register` for a local file or folder: computes its digest (and each file's), copies it
 * into the registry's artifact folder under its digest (so later edits of the original cannot change what was
 * registered), and reads its signature — from an MLflow model's MLmodel (with its input example), or by loading
 * it with the runtime that recognises it. A URI (s3://, https://) is recorded as it is; the server computes its
 * digest when none is given.
 */
export async function prepareArtifact(model: string, source: string, artifactRoot: string | undefined): Promise<PreparedArtifact> {
  if (schemeOf(source) !== 'file') return { version: { source }, notes: ['remote source: the server computes its digest'] };
  const original = localPath(source);
  const { digest, single, files } = await digestLocal(original);
  const notes = [`digest ${digest} over ${files.length} file(s)`];
  let stored = original;
  if (artifactRoot) {
    const folder = path.join(artifactRoot, model, digest.slice('sha256:'.length));
    stored = single ? path.join(folder, path.basename(original)) : folder;
    if (!(await stat(stored).catch(() => undefined))) {
      await mkdir(path.dirname(stored), { recursive: true });
      await cp(original, stored, { recursive: true });
    }
    notes.push(`copied to ${stored}`);
  }
  const folder = single ? path.dirname(original) : original;
  const mlflow = await readMlflowModel(folder);
  let signature: unknown = mlflow?.signature;
  let runtime: string | undefined;
  {
    // Loading it proves it serves, and gives the signature Ferry will serve.
    try {
      const dir = single ? { path: folder, files: [path.basename(original)] } : { path: folder, files: files.map((f) => f.path) };
      const runtimes = builtinRuntimes();
      const found = await selectRuntime(model, runtimes, dir);
      const instance = await found.load({ name: model, version: '0', dir, options: {} }, { logger: silent, threads: { intraOp: 1, interOp: 1 } });
      signature ??= { inputs: instance.signature.inputs, outputs: instance.signature.outputs };
      runtime = found.name;
      await instance.unload();
      notes.push(`loads with the ${found.name} runtime`);
    } catch (error) {
      notes.push(`not loaded here (${(error as Error).message.slice(0, 200)})`);
    }
  }
  return {
    version: {
      source: stored, digest, ...(single ? {} : { files }),
      ...(signature !== undefined ? { signature } : {}), ...(runtime ? { runtime } : {}),
      ...(mlflow?.inputExample ? { inputExample: mlflow.inputExample } : {}), ...(mlflow?.runId ? { runId: mlflow.runId } : {}),
    },
    notes: mlflow ? [...notes, 'MLflow model: signature and input example from MLmodel'] : notes,
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function readMlflowModel(folder: string): Promise<{ signature?: unknown; inputExample?: unknown; runId?: string } | undefined> {
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
  if (examplePath && inputs.length) {
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
