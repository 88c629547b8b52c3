import { readFile } from 'node:fs/promises';
import { ferryError } from '../../errors/index.ts';
import { allocate, storageFor, type Tensor, type TensorMetadata } from '../../tensor/index.ts';
import { resolveModelFile } from '../model-path.ts';
import type { ExampleRequest, ModelInstance, ModelSpec } from '../runtime.ts';
import type { MlModel } from './mlmodel.ts';

const encoder = new TextEncoder();

/**
 * The model's saved `input_example` (a pandas split-orient table) as a V2 JSON infer request for its column-based
 * signature (one [-1] tensor per column); undefined when the model saved none or it is of another kind.
 */
export async function readInputExample(spec: ModelSpec, mlmodel: MlModel, inputs: readonly TensorMetadata[]): Promise<ExampleRequest | undefined> {
  const info = mlmodel.saved_input_example_info;
  if (!info?.artifact_path || !spec.dir.files.includes(info.artifact_path)) return undefined;
  let example: { columns?: unknown; data?: unknown };
  try {
    example = JSON.parse(await readFile(await resolveModelFile(spec.name, spec.dir, info.artifact_path), 'utf8')) as typeof example;
  } catch (error) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `input_example ${info.artifact_path} is not valid JSON: ${(error as Error).message}` });
  }
  const { columns, data } = example;
  if (!Array.isArray(columns) || !Array.isArray(data) || !data.every(Array.isArray)) return undefined;
  if (!inputs.every((t) => t.shape.length === 1 && t.shape[0] === -1)) return undefined;
  return {
    inputs: inputs.map((meta) => {
      const column = columns.indexOf(meta.name);
      if (column < 0) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `input_example has no column '${meta.name}'` });
      const values = (data as unknown[][]).map((row) => row[column]);
      const json = meta.datatype === 'BYTES' ? values.map(String) : meta.datatype === 'BOOL' ? values.map(Boolean) : values.map(Number);
      return { name: meta.name, datatype: meta.datatype, shape: [values.length], data: json };
    }),
  };
}

/** The example's tensors, as the data plane would hand them to the model. */
export function exampleTensors(example: ExampleRequest): Tensor[] {
  return example.inputs.map(({ name, datatype, shape, data: values }) => {
    let data: Tensor['data'];
    if (datatype === 'BYTES') data = values.map((v) => encoder.encode(String(v)));
    else if (datatype === 'INT64' || datatype === 'UINT64') data = (storageFor(datatype) as unknown as { from(v: bigint[]): Tensor['data'] }).from(values.map((v) => BigInt(v as number)));
    else {
      const numbers = allocate(datatype, values.length) as Float64Array;
      values.forEach((v, i) => (numbers[i] = Number(v)));
      data = numbers;
    }
    return { name, datatype, shape: [...shape], data };
  });
}

/** Runs the example once at load: a model that cannot answer its own example fails to load instead of failing its first client. */
export async function warmUpWithExample(spec: ModelSpec, example: ExampleRequest, instance: ModelInstance): Promise<void> {
  try {
    await instance.execute([{ inputs: exampleTensors(example) }], new AbortController().signal);
  } catch (error) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `the input_example failed: ${(error as Error).message}` });
  }
}

/** The instance with the example in its signature, for model metadata. */
export function withInputExample(instance: ModelInstance, example: ExampleRequest): ModelInstance {
  return {
    signature: { ...instance.signature, inputExample: example },
    maxBatchSize: instance.maxBatchSize,
    ...(instance.pipelineDepth === undefined ? {} : { pipelineDepth: instance.pipelineDepth }),
    ...(instance.unmergedBatches === undefined ? {} : { unmergedBatches: instance.unmergedBatches }),
    execute: (batch, signal, inputsMovable) => instance.execute(batch, signal, inputsMovable),
    unload: () => instance.unload(),
    ...(instance.ready === undefined ? {} : { ready: (signal: AbortSignal) => instance.ready!(signal) }),
  };
}
