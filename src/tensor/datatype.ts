/** Open Inference Protocol tensor datatypes and how Ferry stores each in memory. */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BF16', 'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

export type NumericArray =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Float32Array | Float64Array;

/**
 * In-memory element storage: BOOL as Uint8Array of 0/1, FP16 and BF16 as Uint16Array of raw bits,
 * 64-bit integers as BigInt arrays, BYTES as one Uint8Array per element.
 */
export type TensorData = NumericArray | Uint8Array[];

type TypedArrayConstructor = { new (length: number): NumericArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray; readonly BYTES_PER_ELEMENT: number };

const STORAGE: Record<Exclude<Datatype, 'BYTES'>, TypedArrayConstructor> = {
  BOOL: Uint8Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
  FP16: Uint16Array, FP32: Float32Array, FP64: Float64Array, BF16: Uint16Array,
};

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES);

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && DATATYPE_SET.has(value);
}

/** Bytes per element on the wire and in memory; 0 for BYTES (variable). */
export function elementByteSize(datatype: Datatype): number {
  return datatype === 'BYTES' ? 0 : STORAGE[datatype].BYTES_PER_ELEMENT;
}

export function storageFor(datatype: Exclude<Datatype, 'BYTES'>): TypedArrayConstructor {
  return STORAGE[datatype];
}

export function allocate(datatype: Datatype, length: number): TensorData {
  return datatype === 'BYTES' ? new Array<Uint8Array>(length).fill(EMPTY_BYTES) : new STORAGE[datatype](length);
}

const EMPTY_BYTES = new Uint8Array(0);

export function isBigIntType(datatype: Datatype): datatype is 'INT64' | 'UINT64' {
  return datatype === 'INT64' || datatype === 'UINT64';
}

export function isFloatType(datatype: Datatype): datatype is 'FP16' | 'FP32' | 'FP64' | 'BF16' {
  return datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64' || datatype === 'BF16';
}

export function isIntegerType(datatype: Datatype): boolean {
  return datatype !== 'BOOL' && datatype !== 'BYTES' && !isFloatType(datatype);
}

/** Inclusive value range of an integer datatype stored as a JS number (64-bit types are bigint). */
export const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff], UINT16: [0, 0xffff], UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f], INT16: [-0x8000, 0x7fff], INT32: [-0x80000000, 0x7fffffff],
};
export const BIGINT_RANGES = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
} as const;
