import { ferryError } from '../../errors/index.ts';
import {
  BIGINT_RANGES, INTEGER_RANGES, storageFor, type Datatype, type NumericArray, type TensorData,
} from '../../tensor/index.ts';
import { int64ToBigInt } from './int64.ts';
import type { WireContents } from './messages.ts';

type ContentsField = keyof WireContents;

/** Which InferTensorContents field carries each datatype; FP16 and BF16 have none (raw contents only). */
const FIELD: Record<Datatype, ContentsField | undefined> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
  FP16: undefined, BF16: undefined,
};
const FIELDS = Object.keys({
  bool_contents: 0, int_contents: 0, int64_contents: 0, uint_contents: 0, uint64_contents: 0, fp32_contents: 0, fp64_contents: 0, bytes_contents: 0,
} satisfies Record<ContentsField, 0>) as ContentsField[];

/** True when any contents field holds elements. */
export function hasContents(contents: WireContents | null): boolean {
  if (!contents) return false;
  for (const field of FIELDS) if (contents[field].length > 0) return true;
  return false;
}

/** Typed contents → tensor storage, checking that the datatype's own field is the one used and values fit. */
export function decodeContents(name: string, datatype: Datatype, count: number, contents: WireContents | null): TensorData {
  const field = FIELD[datatype];
  if (field === undefined) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${datatype} has no typed contents field: send it in raw_input_contents` });
  }
  if (contents) {
    for (const other of FIELDS) {
      if (other !== field && contents[other].length > 0) {
        throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${datatype} data belongs in contents.${field}, not contents.${other}` });
      }
    }
  }
  const values = contents ? contents[field] : [];
  if (values.length !== count) {
    throw ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `contents.${field} has ${values.length} elements, the shape needs ${count}` });
  }
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(values as readonly boolean[], (v) => (v ? 1 : 0));
    case 'FP32':
      return Float32Array.from(values as readonly number[]);
    case 'FP64':
      return Float64Array.from(values as readonly number[]);
    case 'BYTES':
      return (values as readonly Uint8Array[]).slice();
    case 'INT64':
    case 'UINT64': {
      const unsigned = datatype === 'UINT64';
      const out = unsigned ? new BigUint64Array(count) : new BigInt64Array(count);
      const [min, max] = BIGINT_RANGES[datatype];
      for (let i = 0; i < count; i++) {
        const v = int64ToBigInt((values as WireContents['int64_contents'])[i]!, unsigned);
        if (v < min || v > max) throw outOfRange(name, datatype, v);
        out[i] = v;
      }
      return out;
    }
    default: {
      const [min, max] = INTEGER_RANGES[datatype]!;
      const Storage = storageFor(datatype);
      const out = new Storage(count) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
      const source = values as readonly number[];
      for (let i = 0; i < count; i++) {
        const v = source[i]!;
        if (v < min || v > max) throw outOfRange(name, datatype, v);
        out[i] = v;
      }
      return out;
    }
  }
}

function outOfRange(name: string, datatype: Datatype, value: number | bigint) {
  return ferryError('FERRY_ERR_TENSOR_DATA', { input: name, detail: `${value} is not within the range of ${datatype}` });
}
