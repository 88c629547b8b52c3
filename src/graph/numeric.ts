import { ferryError } from '../errors/index.ts';
import { allocate, isBigIntType, isFloatType, type Datatype, type NumericArray, type Tensor, type TensorData } from '../tensor/index.ts';
import { bfloat16BitsToFloat, halfBitsToFloat } from '../tensor/index.ts';

/** A tensor's elements as doubles, for the arithmetic of transformers and combiners. */
export function asNumbers(tensor: Tensor, where: string): Float64Array {
  const { datatype, data } = tensor;
  if (datatype === 'BYTES') throw ferryError('FERRY_ERR_TENSOR_DATA', { input: tensor.name, detail: `${where} needs numbers, not BYTES` });
  const out = new Float64Array(data.length);
  const numeric = data as NumericArray;
  if (datatype === 'FP16') for (let i = 0; i < out.length; i++) out[i] = halfBitsToFloat(numeric[i] as number);
  else if (datatype === 'BF16') for (let i = 0; i < out.length; i++) out[i] = bfloat16BitsToFloat(numeric[i] as number);
  else if (isBigIntType(datatype)) for (let i = 0; i < out.length; i++) out[i] = Number(numeric[i]);
  else for (let i = 0; i < out.length; i++) out[i] = numeric[i] as number;
  return out;
}

/** Doubles stored as `datatype` (integers rounded toward zero, booleans as value != 0). */
export function fromNumbers(values: ArrayLike<number>, datatype: Exclude<Datatype, 'BYTES' | 'FP16' | 'BF16'>): TensorData {
  const out = allocate(datatype, values.length) as NumericArray;
  if (isBigIntType(datatype)) for (let i = 0; i < values.length; i++) (out as BigInt64Array)[i] = BigInt(Math.trunc(values[i]!));
  else if (datatype === 'BOOL') for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
  else if (isFloatType(datatype)) for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  else for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
  return out;
}
