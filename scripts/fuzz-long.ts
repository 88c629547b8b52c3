// Long fuzz run of every request decoder (not in CI): `node scripts/fuzz-long.ts [inputs per decoder] [seconds per
// decoder]`, default 1,000,000 inputs and no time bound. Prints, per decoder, inputs run, decoded, refused (catalogue
// 4xx), failures (crash, non-catalogue or 5xx error, over 2 s) and the slowest input.
import fc from 'fast-check';
import { runOne, SIGNATURES, TARGETS } from '../test/helpers/decoder-fuzz.ts';

const perTarget = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? Infinity);
const BATCH = 1000;
let failed = 0;

for (const target of TARGETS) {
  const started = performance.now();
  const counts = { inputs: 0, decoded: 0, refused: 0, failures: 0 };
  let slowestMs = 0;
  for (let seed = 1; counts.inputs < perTarget && performance.now() - started < seconds * 1000; seed++) {
    const bodies = fc.sample(target.input, { numRuns: Math.min(BATCH, perTarget - counts.inputs), seed });
    for (const body of bodies) {
      const t = performance.now();
      const outcome = await runOne(target, body, SIGNATURES[counts.inputs % SIGNATURES.length]!);
      slowestMs = Math.max(slowestMs, performance.now() - t);
      counts.inputs++;
      if (typeof outcome === 'object') {
        counts.failures++;
        if (counts.failures <= 3) console.error(`${target.name} failure: ${outcome.failure}\n  body: ${body.subarray(0, 300).toString('latin1')}`);
      } else counts[outcome]++;
    }
  }
  failed += counts.failures;
  const elapsed = (performance.now() - started) / 1000;
  console.log(`${target.name.padEnd(12)} inputs ${counts.inputs} decoded ${counts.decoded} refused ${counts.refused} failures ${counts.failures} slowest ${slowestMs.toFixed(1)} ms (${elapsed.toFixed(0)} s)`);
}
process.exitCode = failed > 0 ? 1 : 0;
