import { ferryError } from '../../errors/index.ts';
import { elementCount, type Datatype, type Tensor } from '../../tensor/index.ts';
import { int64ToBigInt, int64ToNumber } from '../v2-grpc/int64.ts';
import type { Int64 } from '../v2-grpc/messages.ts';

/** tensorflow.TensorProto as protobufjs decodes it (enum as its number, 64-bit integers as Long). */
export interface WireTfTensor {
  readonly dtype?: number;
  readonly tensor_shape?: { readonly dim?: readonly { readonly size?: Int64 }[]; readonly unknown_rank?: boolean } | null;
  readonly tensor_content?: Uint8Array;
  readonly float_val?: readonly number[];
  readonly double_val?: readonly number[];
  readonly int_val?: readonly number[];
  readonly int64_val?: readonly Int64[];
  readonly bool_val?: readonly boolean[];
  readonly uint32_val?: readonly number[];
  readonly uint64_val?: readonly Int64[];
  readonly string_val?: readonly Uint8Array[];
}

type Field = 'float_val' | 'double_val' | 'int_val' | 'int64_val' | 'bool_val' | 'uint32_val' | 'uint64_val' | 'string_val';
interface TfType { readonly datatype: Datatype; readonly field: Field; readonly content?: (bytes: Uint8Array) => ArrayLike<number | bigint> }

const view = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, size: number) => (bytes: Uint8Array): T => {
  if (bytes.byteLength % size !== 0) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `tftensor.tensor_content holds ${bytes.byteLength} bytes, not whole ${size}-byte elements` });
  const copy = Uint8Array.from(bytes); // aligned
  return make(copy.buffer, 0, copy.byteLength / size);
};

/** TensorFlow's DataType numbers Ferry reads, with the V2 datatype and the typed field that carries each. */
const TF_TYPES: Readonly<Record<number, TfType>> = {
  1: { datatype: 'FP32', field: 'float_val', content: view((b, o, n) => new Float32Array(b, o, n), 4) },
  2: { datatype: 'FP64', field: 'double_val', content: view((b, o, n) => new Float64Array(b, o, n), 8) },
  3: { datatype: 'INT32', field: 'int_val', content: view((b, o, n) => new Int32Array(b, o, n), 4) },
  4: { datatype: 'UINT8', field: 'int_val', content: view((b, o, n) => new Uint8Array(b, o, n), 1) },
  5: { datatype: 'INT16', field: 'int_val', content: view((b, o, n) => new Int16Array(b, o, n), 2) },
  6: { datatype: 'INT8', field: 'int_val', content: view((b, o, n) => new Int8Array(b, o, n), 1) },
  7: { datatype: 'BYTES', field: 'string_val' },
  9: { datatype: 'INT64', field: 'int64_val', content: view((b, o, n) => new BigInt64Array(b, o, n), 8) },
  10: { datatype: 'BOOL', field: 'bool_val', content: view((b, o, n) => new Uint8Array(b, o, n), 1) },
  17: { datatype: 'UINT16', field: 'int_val', content: view((b, o, n) => new Uint16Array(b, o, n), 2) },
  22: { datatype: 'UINT32', field: 'uint32_val', content: view((b, o, n) => new Uint32Array(b, o, n), 4) },
  23: { datatype: 'UINT64', field: 'uint64_val', content: view((b, o, n) => new BigUint64Array(b, o, n), 8) },
};
const TF_DTYPE_OF = Object.fromEntries(Object.entries(TF_TYPES).map(([number, t]) => [t.datatype, Number(number)])) as Partial<Record<Datatype, number>>;

/**
 * A TensorProto as the `data.tensor` JSON form the REST decoder reads: its shape, and its values flattened (from
 * tensor_content, or from the typed field, one value standing for all as TensorFlow reads it). 64-bit integers stay
 * exact (bigints); BYTES elements are read as UTF-8 text.
 */
export function tfTensorAsJson(tensor: WireTfTensor): { shape: number[]; values: unknown[] } {
  const type = TF_TYPES[tensor.dtype ?? 0];
  if (type === undefined) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `tftensor dtype ${tensor.dtype ?? 0} is not one Ferry reads (float, double, int8-64, uint8-64, bool, string)` });
  if (tensor.tensor_shape?.unknown_rank) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: 'tftensor has an unknown rank' });
  const shape = (tensor.tensor_shape?.dim ?? []).map((d) => int64ToNumber(d.size ?? 0) ?? -1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `tftensor shape [${shape.join(',')}] is not a list of sizes` });
  const count = elementCount(shape);
  const content = tensor.tensor_content ?? new Uint8Array();
  let values: unknown[];
  if (content.byteLength > 0 && type.content) {
    values = Array.from(type.content(content), (v) => (type.datatype === 'BOOL' ? v !== 0 : v));
  } else {
    const given = (tensor[type.field] ?? []) as readonly unknown[];
    values = given.map((v) => (type.datatype === 'BYTES' ? Buffer.from(v as Uint8Array).toString('utf8')
      : type.datatype === 'INT64' || type.datatype === 'UINT64' ? int64ToBigInt(v as Int64, type.datatype === 'UINT64') : v));
    if (values.length === 1 && count > 1) values = new Array<unknown>(count).fill(values[0]);
  }
  if (values.length !== count) {
    throw ferryError('FERRY_ERR_ELEMENT_COUNT', { input: 'data.tftensor', actual: values.length, expected: count, shape: `[${shape.join(',')}]` });
  }
  return { shape, values };
}

/** An output as a TensorProto of its own type: tensor_content for numbers and booleans, string_val for BYTES. */
export function tfTensorOf(model: string, tensor: Tensor): object {
  const dtype = TF_DTYPE_OF[tensor.datatype];
  if (dtype === undefined) throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail: `output '${tensor.name}' is ${tensor.datatype}, which a tftensor answer does not carry; send data.tensor or use the V2 protocol` });
  const tensor_shape = { dim: tensor.shape.map((size) => ({ size })) };
  if (tensor.datatype === 'BYTES') return { dtype, tensor_shape, string_val: tensor.data as Uint8Array[] };
  const data = tensor.data as ArrayBufferView;
  return { dtype, tensor_shape, tensor_content: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
