import { describe, expect, it } from 'vitest';
import {
  allocate, BIGINT_RANGES, DATATYPES, elementByteSize, INTEGER_RANGES, isBigIntType, isDatatype, isFloatType, isIntegerType, storageFor,
  type Datatype,
} from './datatype.ts';
import { isNumericDatatype } from './numeric-convert.ts';

// Per datatype: bytes per element on the wire, and its kind (the Open Inference Protocol's tensor data types table).
const TABLE: Record<Datatype, { size: number; kind: 'bool' | 'int' | 'bigint' | 'float' | 'bytes' }> = {
  BOOL: { size: 1, kind: 'bool' }, UINT8: { size: 1, kind: 'int' }, UINT16: { size: 2, kind: 'int' }, UINT32: { size: 4, kind: 'int' },
  UINT64: { size: 8, kind: 'bigint' }, INT8: { size: 1, kind: 'int' }, INT16: { size: 2, kind: 'int' }, INT32: { size: 4, kind: 'int' },
  INT64: { size: 8, kind: 'bigint' }, FP16: { size: 2, kind: 'float' }, FP32: { size: 4, kind: 'float' }, FP64: { size: 8, kind: 'float' },
  BF16: { size: 2, kind: 'float' }, BYTES: { size: 0, kind: 'bytes' },
};

describe('datatypes', () => {
  it('knows the fourteen datatype names exactly, case included', () => {
    expect(DATATYPES).toEqual(Object.keys(TABLE));
    for (const datatype of DATATYPES) expect(isDatatype(datatype), datatype).toBe(true);
    for (const other of ['fp32', 'STRING', 'FP8', '', ' INT8', 5, null, undefined, ['FP32']]) expect(isDatatype(other), String(other)).toBe(false);
  });

  it('sizes each element and sorts each datatype into one kind', () => {
    for (const datatype of DATATYPES) {
      const { size, kind } = TABLE[datatype];
      expect(elementByteSize(datatype), datatype).toBe(size);
      expect(isFloatType(datatype), datatype).toBe(kind === 'float');
      expect(isBigIntType(datatype), datatype).toBe(kind === 'bigint');
      expect(isIntegerType(datatype), datatype).toBe(kind === 'int' || kind === 'bigint');
      expect(isNumericDatatype(datatype), datatype).toBe(kind !== 'bytes');
      if (datatype !== 'BYTES') expect(storageFor(datatype).BYTES_PER_ELEMENT, datatype).toBe(size);
    }
  });

  it('stores FP16 and BF16 as raw bits, 64-bit integers as bigints, BOOL as bytes', () => {
    expect(storageFor('FP16')).toBe(Uint16Array);
    expect(storageFor('BF16')).toBe(Uint16Array);
    expect(storageFor('BOOL')).toBe(Uint8Array);
    expect(storageFor('INT64')).toBe(BigInt64Array);
    expect(storageFor('UINT64')).toBe(BigUint64Array);
    expect(storageFor('INT8')).toBe(Int8Array);
    expect(storageFor('FP64')).toBe(Float64Array);
  });

  it('allocates zeroed storage, and BYTES as empty elements', () => {
    const bytes = allocate('BYTES', 3) as Uint8Array[];
    expect(bytes).toHaveLength(3);
    for (const element of bytes) expect(element.byteLength).toBe(0);
    expect(allocate('BYTES', 0)).toEqual([]);
    const int64 = allocate('INT64', 2);
    expect(int64).toBeInstanceOf(BigInt64Array);
    expect(Array.from(int64 as BigInt64Array)).toEqual([0n, 0n]);
    expect(allocate('FP32', 1)).toBeInstanceOf(Float32Array);
  });

  it('gives each integer datatype its inclusive range', () => {
    expect(INTEGER_RANGES).toEqual({
      UINT8: [0, 255], UINT16: [0, 65535], UINT32: [0, 4294967295],
      INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-2147483648, 2147483647],
    });
    expect(BIGINT_RANGES).toEqual({ INT64: [-9223372036854775808n, 9223372036854775807n], UINT64: [0n, 18446744073709551615n] });
  });
});
