import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';
import { target } from './targets.mjs';

/**
 * The tests beside the code before the conformance packs under test/: Stryker stops a mutant's run at its first
 * failing test, so a mutant the quick unit tests kill does not wait for the packs' slower cases first (vitest's
 * own order puts the slowest files first).
 */
class BesideTheCodeFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => (spec.moduleId.includes('/src/') ? 0 : 1);
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

// The unit tests beside the mutated code, for Stryker's runs (see stryker.config.mjs).
const chosen = target();

export default defineConfig({
  test: {
    include: chosen.tests,
    testTimeout: chosen.testTimeoutMs,
    hookTimeout: 60_000,
    sequence: { sequencer: BesideTheCodeFirst },
  },
});
