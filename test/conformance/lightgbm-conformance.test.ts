import { describe, it } from 'vitest';
import { lightgbmRuntime } from '../../src/runtimes/lightgbm/index.ts';
import { expectCaseMatches, forEachCase, openPack, type DeriveInput, type PackCase } from './trees-pack.ts';

/** Every case of the shared LightGBM pack (LightGBM 4.6.0 predictions), within the manifest's tolerance. */
describe('lightgbm conformance pack', () => {
  forEachCase(openPack('lightgbm'), { it, skip: it.skip }, (root, c: PackCase) => async () => {
    const iterations = c.predict_options['num_iteration'];
    await expectCaseMatches(root, c, lightgbmRuntime(), iterations ? { num_iteration: iterations } : {}, dummy);
  });
});

/** pandas.get_dummies indicators: feature '<Column>_<Level>' is 1 when the cell equals <Level> (missing → 0). */
const dummy: DeriveInput = (table, name, cell) => {
  const column = table.header.find((h) => name.startsWith(`${h}_`));
  if (!column) return undefined;
  const level = name.slice(column.length + 1);
  return (row) => (cell(column, row) === level ? 1 : 0);
};
