import type { Int64 } from './messages.ts';

/** A protobuf int64/uint64 as a JS number, or undefined when it is not a safe integer. */
export function int64ToNumber(value: Int64): number | undefined {
  const n = typeof value === 'number' ? value : value.toNumber();
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A protobuf int64/uint64 as an exact bigint (two's complement for signed values). */
export function int64ToBigInt(value: Int64, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}
