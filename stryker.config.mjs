// Mutation testing, one target at a time (see docs/testing.md): FERRY_MUTATE=tensor npm run mutate.
// Incremental: each target keeps its results in mutation/<target>.incremental.json, so a rerun tests only the
// mutants whose code or tests changed.
import path from 'node:path';
import { target } from './mutation/targets.mjs';

const chosen = target();
// The TypeScript checker type-checks the whole of src for every batch of mutants: on a small shared machine it
// cost more than the tests. Off by default (vitest strips types, so a mutant that would not compile runs and is
// usually killed); FERRY_MUTATE_TYPECHECK=1 turns it on to leave such mutants out of a score.
const typecheck = process.env.FERRY_MUTATE_TYPECHECK === '1';
// The tree conformance packs lie beside the repository, which the sandbox under .stryker-tmp is not; the test
// runners inherit this. Under CI=true a pack that is not found fails its test instead of skipping it.
process.env.FERRY_CONFORMANCE_ROOT ??= path.resolve('../shared/conformance');
process.env.CI ??= 'true';
// The first 200 rows of each conformance case (they include the packs' missing values): the whole tables made
// each mutant of the tree evaluators cost seconds.
process.env.FERRY_CONFORMANCE_ROWS ??= '200';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.ts', related: false },
  checkers: typecheck ? ['typescript'] : [],
  tsconfigFile: 'mutation/tsconfig.json',
  mutate: chosen.mutate,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  incremental: true,
  incrementalFile: `mutation/${chosen.name}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `mutation/reports/${chosen.name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  // One sandbox folder per target, so that two targets may run at once without copying or cleaning each other's.
  tempDirName: `.stryker-tmp/${chosen.name}`,
  cleanTempDir: 'always',
  timeoutMS: 20_000,
  timeoutFactor: 3,
  ignorePatterns: ['.stryker-tmp', 'mutation/reports', '.ferry', 'ferry-data'],
};
