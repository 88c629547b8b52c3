import type { LongLike } from '../v2-grpc/messages.ts';

/** A 64-bit integer as protobufjs hands it over (a Long: two 32-bit halves), built from its exact value. */
export function longOf(value: bigint, unsigned = false): LongLike {
  const bits = BigInt.asUintN(64, value);
  const low = Number(BigInt.asIntN(32, bits & 0xffffffffn));
  const high = Number(BigInt.asIntN(32, bits >> 32n));
  const exact = unsigned ? bits : BigInt.asIntN(64, bits);
  return { low, high, unsigned, toNumber: () => Number(exact), toString: () => exact.toString() };
}
