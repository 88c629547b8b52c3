// Mutation testing, one target at a time (see docs/testing.md): FERRY_MUTATE=tensor npm run mutate.
// Incremental: each target keeps its results in mutation/<target>.incremental.json, so a rerun tests only the
// mutants whose code or tests changed.
import { target } from './mutation/targets.mjs';

const chosen = target();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'mutation/tsconfig.json',
  mutate: chosen.mutate,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  incremental: true,
  incrementalFile: `mutation/${chosen.name}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `mutation/reports/${chosen.name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutMS: 20_000,
  timeoutFactor: 3,
  ignorePatterns: ['mutation/reports', '.ferry', 'ferry-data'],
};
