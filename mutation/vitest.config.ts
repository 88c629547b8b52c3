import { defineConfig } from 'vitest/config';
import { target } from './targets.mjs';

// The unit tests beside the mutated code, for Stryker's runs (see stryker.config.mjs).
export default defineConfig({
  test: {
    include: target().tests,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
