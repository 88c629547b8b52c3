import { readFile } from 'node:fs/promises';
import { ferryError } from '../../errors/index.ts';
import { allocate, storageFor, type Tensor } from '../../tensor/index.ts';
import { resolveModelFile } from '../model-path.ts';
import type { ModelInstance, ModelSpec } from '../runtime.ts';
import type { MlModel } from './mlmodel.ts';

const encoder = new TextEncoder();

/**
 * Runs the model's saved `input_example` (a pandas split-orient table) once at load: a model that cannot answer its
 * own example fails to load instead of failing its first client.
 */
export async function warmUpWithExample(spec: ModelSpec, mlmodel: MlModel, instance: ModelInstance): Promise<void> {
  const info = mlmodel.saved_input_example_info;
  if (!info?.artifact_path || !spec.dir.files.includes(info.artifact_path)) return;
  const example = JSON.parse(await readFile(await resolveModelFile(spec.name, spec.dir, info.artifact_path), 'utf8')) as { columns?: string[]; data?: unknown[][] };
  // A table for a column-based signature (one [-1] tensor per column); other examples are left to the client.
  if (!Array.isArray(example.columns) || !Array.isArray(example.data)) return;
  if (!instance.signature.inputs.every((t) => t.shape.length === 1 && t.shape[0] === -1)) return;
  const inputs: Tensor[] = instance.signature.inputs.map((meta) => {
    const column = example.columns!.indexOf(meta.name);
    if (column < 0) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `input_example has no column '${meta.name}'` });
    const values = example.data!.map((row) => row[column]);
    const data = meta.datatype === 'BYTES'
      ? values.map((v) => encoder.encode(String(v)))
      : meta.datatype === 'INT64' || meta.datatype === 'UINT64'
        ? (storageFor(meta.datatype) as unknown as { from(v: bigint[]): Tensor['data'] }).from(values.map((v) => BigInt(v as number)))
        : Object.assign(allocate(meta.datatype, values.length), {}) as Tensor['data'];
    if (meta.datatype !== 'BYTES' && meta.datatype !== 'INT64' && meta.datatype !== 'UINT64') values.forEach((v, i) => ((data as Float64Array)[i] = Number(v)));
    return { name: meta.name, datatype: meta.datatype, shape: [values.length], data };
  });
  try {
    await instance.execute([{ inputs }], new AbortController().signal);
  } catch (error) {
    await instance.unload();
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `the input_example failed: ${(error as Error).message}` });
  }
}
