import { createHash } from 'node:crypto';

/** The arm whose cumulative weight first exceeds `u` (uniform in [0, 1)); weights sum to 1. */
export function pickWeighted(weights: readonly number[], u: number): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    if (u < sum) return i;
  }
  // Rounding may leave the sum a hair under 1: the last arm with weight takes the rest.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return 0;
}

/**
 * A uniform number in [0, 1) fixed by a sticky key (a user id): the same key lands on the same arm while the
 * weights stay, and keys spread over arms in proportion to them. SHA-256, so clients cannot aim at an arm.
 */
export function stickyUniform(key: string, salt: string): number {
  const digest = createHash('sha256').update(salt).update('\0').update(key).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
