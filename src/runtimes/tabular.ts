import { ferryError } from '../errors/index.ts';
import { utf8Text, type Datatype, type FloatTarget, type InferRequest, type Tensor, type TensorMetadata } from '../tensor/index.ts';

/**
 * Shared input handling for tabular runtimes (trees, linear models, PMML, pipelines).
 *
 * Two signatures are offered. `named` (default when the model knows its feature names): one input per feature,
 * shape [-1], the datatype the model computes a numeric feature in (FP64 unless the feature says FP32) and BYTES
 * for categorical strings. `matrix`: a single input `input` of shape [-1, F], FP32 when every feature is computed
 * in FP32, else FP64. Numeric inputs take any numeric datatype (the signature's `numericInputs: 'convert'`: the
 * data plane converts them to the declared one). Missing numeric values are NaN (JSON `null`); a missing
 * categorical value is an empty string.
 */
export interface FeatureSpec {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  /** The datatype the model computes this numeric feature in; FP64 when absent. */
  readonly datatype?: FloatTarget;
}

export type InputLayout = 'named' | 'matrix';

/** One column per feature: numbers as Float64Array (NaN = missing), categories as strings (null = missing). */
export type Column = Float64Array | (string | null)[];

export interface TabularBatch {
  readonly rows: number;
  readonly columns: readonly Column[];
}

export const MATRIX_INPUT = 'input';

export function tabularInputs(features: readonly FeatureSpec[], layout: InputLayout): TensorMetadata[] {
  if (layout === 'matrix') {
    const datatype = features.length > 0 && features.every((f) => f.datatype === 'FP32') ? 'FP32' : 'FP64';
    return [{ name: MATRIX_INPUT, datatype, shape: [-1, features.length] }];
  }
  return features.map((f) => ({ name: f.name, datatype: f.kind === 'categorical' ? 'BYTES' : f.datatype ?? 'FP64', shape: [-1] }));
}

/** Reads a validated request into columns, one per feature. */
export function readTabular(request: InferRequest, features: readonly FeatureSpec[], layout: InputLayout): TabularBatch {
  if (layout === 'matrix') {
    const input = request.inputs.find((t) => t.name === MATRIX_INPUT);
    if (!input) throw ferryError('FERRY_ERR_INPUT_MISSING', { model: '', input: MATRIX_INPUT });
    const rows = input.shape[0] ?? 0;
    const width = features.length;
    const values = toFloat64(input);
    const columns = features.map((_, f) => {
      const column = new Float64Array(rows);
      for (let r = 0; r < rows; r++) column[r] = values[r * width + f]!;
      return column;
    });
    return { rows, columns };
  }
  const byName = new Map<string, Tensor>();
  for (const tensor of request.inputs) byName.set(tensor.name, tensor);
  let rows = -1;
  const columns = features.map((feature) => {
    const tensor = byName.get(feature.name);
    if (!tensor) throw ferryError('FERRY_ERR_INPUT_MISSING', { model: '', input: feature.name });
    const length = tensor.data.length;
    if (rows === -1) rows = length;
    else if (rows !== length) {
      throw ferryError('FERRY_ERR_SHAPE_MISMATCH', {
        input: feature.name, actual: `[${tensor.shape.join(',')}]`, expected: `[${rows}] like the other features`,
      });
    }
    return feature.kind === 'categorical' ? toStrings(tensor) : toFloat64(tensor);
  });
  return { rows: Math.max(rows, 0), columns };
}

/** A BYTES element as text; the data plane let only UTF-8 through (the signature's `bytesInputs: 'text'`). */
function textOf(tensor: Tensor, bytes: Uint8Array, index: number): string {
  const text = utf8Text(bytes);
  if (text === undefined) throw ferryError('FERRY_ERR_TENSOR_DATA', { input: tensor.name, detail: `element ${index} is not UTF-8 text` });
  return text;
}

function toStrings(tensor: Tensor): (string | null)[] {
  if (tensor.datatype === 'BYTES') {
    return (tensor.data as Uint8Array[]).map((b, i) => (b.byteLength === 0 ? null : textOf(tensor, b, i)));
  }
  // A numeric tensor for a categorical feature: categories given as their numeric codes.
  return Array.from(toFloat64(tensor), (v) => (Number.isNaN(v) ? null : String(v)));
}

function toFloat64(tensor: Tensor): Float64Array {
  const data = tensor.data;
  if (data instanceof Float64Array) return data;
  if (Array.isArray(data)) {
    return Float64Array.from(data, (b, i) => {
      const text = textOf(tensor, b, i).trim();
      return text === '' ? NaN : Number(text);
    });
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, (v) => Number(v));
  if (isHalf(tensor.datatype)) throw ferryError('FERRY_ERR_DATATYPE_MISMATCH', { input: tensor.name, actual: tensor.datatype, expected: 'FP64' });
  return Float64Array.from(data as ArrayLike<number>);
}

function isHalf(datatype: Datatype): boolean {
  return datatype === 'FP16' || datatype === 'BF16';
}
