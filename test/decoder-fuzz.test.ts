// Property-based fuzzing of every request decoder (V2 JSON and binary, gRPC, TF Serving, Seldon JSON and form,
// MLflow JSON and CSV) with fast-check: whatever the body, a decoder decodes it or refuses it with a catalogue
// client error (4xx), never crashes, never answers 5xx and never takes over 2 s. scripts/fuzz-long.ts runs the same
// targets for a million inputs each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runOne, SIGNATURES, TARGETS } from './helpers/decoder-fuzz.ts';

const RUNS = 1500;

describe('request decoders under property-based fuzzing', () => {
  for (const target of TARGETS) {
    it(`${target.name}: decodes or refuses with a catalogue 4xx, ${RUNS} inputs`, async () => {
      const seen = { decoded: 0, refused: 0 };
      await fc.assert(fc.asyncProperty(target.input, fc.nat(SIGNATURES.length - 1), async (body, s) => {
        const outcome = await runOne(target, body, SIGNATURES[s]!);
        if (typeof outcome === 'object') throw new Error(`${outcome.failure}\nbody: ${body.subarray(0, 400).toString('latin1')}`);
        seen[outcome]++;
      }), { numRuns: RUNS });
      // Both paths are exercised: the generators make valid requests as well as broken ones.
      expect(seen.refused).toBeGreaterThan(RUNS / 20);
      expect(seen.decoded).toBeGreaterThan(0);
    }, 60_000);
  }
});
