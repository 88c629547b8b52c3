import { describe, it } from 'vitest';
import { xgboostRuntime } from '../../src/runtimes/xgboost/index.ts';
import { expectCaseMatches, forEachCase, openPack, type PackCase } from './trees-pack.ts';

/** Every case of the shared XGBoost pack (XGBoost 3.4.1 predictions), within the manifest's tolerance. */
describe('xgboost conformance pack', () => {
  forEachCase(openPack('xgboost'), { it, skip: it.skip }, (root, c: PackCase) => async () => {
    const range = c.predict_options['iteration_range'];
    await expectCaseMatches(root, c, xgboostRuntime(), range ? { iteration_range: range } : {});
  });
});
