import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lightgbmRuntime } from '../../src/runtimes/lightgbm/index.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { absoluteColumns, forEachCase, openPack, outputValue, readCsv, requestFromTable, withinTolerance, type PackCase, type Table } from './trees-pack.ts';

/** Every case of the shared LightGBM pack (LightGBM 4.6.0 predictions), within the manifest's tolerance. */
describe('lightgbm conformance pack', () => {
  forEachCase(openPack('lightgbm'), { it, skip: it.skip }, (root, c: PackCase) => async () => {
    const modelPath = path.join(root, c.model_file.path);
    const iterations = c.predict_options['num_iteration'];
    const instance = await lightgbmRuntime().load({
      name: c.id,
      version: '1',
      dir: { path: path.dirname(modelPath), files: [path.basename(modelPath)] },
      options: iterations ? { num_iteration: iterations } : {},
    }, silentContext);
    const input = readCsv(path.join(root, c.input_file.path));
    const expected = readCsv(path.join(root, c.expected_file.path));
    expect(expected.rows.length).toBe(input.rows.length);
    const request = requestFromTable(input, instance.signature.inputs, c.na_tokens, (name, cell) => dummy(input, name, cell));
    const [result] = await instance.execute([request], new AbortController().signal);
    const outputs = new Map(result!.outputs.map((t) => [t.name, t]));
    const absolute = absoluteColumns(c.notes);
    const failures: string[] = [];
    for (const column of c.compare_columns) {
      const col = expected.header.indexOf(column);
      expect(col, `expected column ${column}`).toBeGreaterThanOrEqual(0);
      expected.rows.forEach((row, r) => {
        const want = Number(row[col]);
        const got = outputValue(outputs, column, r);
        if (!withinTolerance(got, want, c.tolerance, absolute.has(column) ? 1e-6 : 0)) failures.push(`row ${r} ${column}: ${got} vs ${want}`);
      });
    }
    expect(failures.slice(0, 10), `${failures.length} values out of tolerance`).toEqual([]);
    await instance.unload();
  });
});

/** pandas.get_dummies indicators: feature '<Column>_<Level>' is 1 when the cell equals <Level> (missing → 0). */
function dummy(table: Table, name: string, cell: (column: string, row: number) => string | null): ((row: number) => number) | undefined {
  const column = table.header.find((h) => name.startsWith(`${h}_`));
  if (!column) return undefined;
  const level = name.slice(column.length + 1);
  return (row) => (cell(column, row) === level ? 1 : 0);
}
