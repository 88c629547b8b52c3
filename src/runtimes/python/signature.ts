import { ferryError } from '../../errors/index.ts';
import { isDatatype, type TensorMetadata } from '../../tensor/index.ts';
import type { DeclaredTensor, ModelSpec } from '../runtime.ts';

/** A signature list as a model's metadata() returned it (untrusted), checked entry by entry. */
export function signatureList(model: string, where: string, value: unknown): TensorMetadata[] {
  if (!Array.isArray(value) || value.length === 0) throw bad(model, `${where} must be a non-empty list of {name, datatype, shape}`);
  return value.map((entry: unknown, i) => {
    const t = entry as Record<string, unknown> | null;
    const shape = t?.['shape'];
    if (typeof t?.['name'] !== 'string' || t['name'] === '') throw bad(model, `${where}[${i}] has no name`);
    if (!isDatatype(t['datatype'])) throw bad(model, `${where}[${i}] ('${t['name']}') has datatype ${JSON.stringify(t['datatype'])}, not an Open Inference Protocol datatype`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= -1)) {
      throw bad(model, `${where}[${i}] ('${t['name']}') needs a shape of integers, -1 for a dynamic dimension`);
    }
    return { name: t['name'], datatype: t['datatype'], shape: shape as number[] };
  });
}

/** model.yaml `inputs:`/`outputs:` as the signature of a model that does not describe itself. */
export function declaredList(model: string, where: string, list: readonly DeclaredTensor[] | undefined): TensorMetadata[] {
  if (!list || list.length === 0) throw bad(model, `it has no metadata() and model.yaml declares no ${where}: (name, datatype and shape of each)`);
  return list.map((t) => {
    if (t.datatype === undefined || t.shape === undefined) throw bad(model, `model.yaml ${where}: '${t.name}' needs a datatype and a shape (the model does not describe itself)`);
    return { name: t.source ?? t.name, datatype: t.datatype, shape: t.shape };
  });
}

export function declaredSignature(spec: ModelSpec): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
  return { inputs: declaredList(spec.name, 'inputs', spec.declared?.inputs), outputs: declaredList(spec.name, 'outputs', spec.declared?.outputs) };
}

function bad(model: string, detail: string) {
  return ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail });
}
