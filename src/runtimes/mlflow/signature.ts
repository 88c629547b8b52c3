import { ferryError } from '../../errors/index.ts';
import type { Datatype, TensorMetadata } from '../../tensor/index.ts';

/** MLflow column types and numpy dtypes as Open Inference Protocol datatypes. */
const COLUMN: Record<string, Datatype> = {
  double: 'FP64', float: 'FP32', long: 'INT64', integer: 'INT32', boolean: 'BOOL', string: 'BYTES', binary: 'BYTES', datetime: 'BYTES',
};
const NUMPY: Record<string, Datatype> = {
  float64: 'FP64', float32: 'FP32', float16: 'FP16', int64: 'INT64', int32: 'INT32', int16: 'INT16', int8: 'INT8',
  uint64: 'UINT64', uint32: 'UINT32', uint16: 'UINT16', uint8: 'UINT8', bool: 'BOOL', object: 'BYTES', str: 'BYTES', bytes: 'BYTES',
};

export interface MlflowIo {
  readonly tensors: TensorMetadata[];
  /** Column names, when the signature is column-based (the model takes a DataFrame). */
  readonly columns: string[] | undefined;
}

interface Spec {
  readonly type: string;
  readonly name?: string;
  readonly 'tensor-spec'?: { readonly dtype: string; readonly shape: number[] };
}

/** One side of an MLflow signature (a JSON string) as tensors: one [-1] tensor per column, or the tensor specs. */
export function mlflowIo(model: string, side: 'inputs' | 'outputs', json: string | undefined): MlflowIo | undefined {
  if (json === undefined) return undefined;
  const bad = (detail: string) => ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `MLmodel signature ${side}: ${detail}` });
  let specs: Spec[];
  try {
    specs = JSON.parse(json) as Spec[];
  } catch {
    throw bad('not valid JSON');
  }
  if (!Array.isArray(specs) || specs.length === 0) throw bad('empty');
  if (specs.every((s) => s.type === 'tensor')) {
    return {
      columns: undefined,
      tensors: specs.map((s, i) => {
        const dtype = s['tensor-spec']?.dtype ?? '';
        const datatype = NUMPY[dtype];
        if (!datatype) throw bad(`tensor dtype '${dtype}' is not supported`);
        return { name: s.name ?? (side === 'inputs' ? `input-${i}` : i === 0 ? 'predictions' : `output-${i}`), datatype, shape: s['tensor-spec']!.shape };
      }),
    };
  }
  const tensors = specs.map((s, i) => {
    const datatype = COLUMN[s.type];
    if (!datatype) throw bad(`column type '${s.type}' is not supported`);
    return { name: s.name ?? (side === 'inputs' ? `input-${i}` : i === 0 ? 'predictions' : `output-${i}`), datatype, shape: [-1] };
  });
  return { columns: tensors.map((t) => t.name), tensors };
}
