import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { xgboostRuntime } from '../../src/runtimes/xgboost/index.ts';
import { absoluteColumns, forEachCase, openPack, outputValue, readCsv, requestFromTable, withinTolerance, type PackCase } from './trees-pack.ts';

/** Every case of the shared XGBoost pack (XGBoost 3.4.1 predictions), within the manifest's tolerance. */
describe('xgboost conformance pack', () => {
  forEachCase(openPack('xgboost'), { it, skip: it.skip }, (root, c: PackCase) => async () => {
    const modelPath = path.join(root, c.model_file.path);
    const range = c.predict_options['iteration_range'];
    const instance = await xgboostRuntime().load({
      name: c.id,
      version: '1',
      dir: { path: path.dirname(modelPath), files: [path.basename(modelPath)] },
      options: range ? { iteration_range: range } : {},
    }, silentContext);
    const input = readCsv(path.join(root, c.input_file.path));
    const expected = readCsv(path.join(root, c.expected_file.path));
    expect(expected.rows.length).toBe(input.rows.length);
    const [result] = await instance.execute([requestFromTable(input, instance.signature.inputs, c.na_tokens)], new AbortController().signal);
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
