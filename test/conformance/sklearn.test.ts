import { describe, expect, it } from 'vitest';
import { runRuntimeConformance, silentContext } from '../../src/runtimes/runtime.case.ts';
import { createSklearnRuntime } from '../../src/runtimes/sklearn/index.ts';
import { close, fixtureCases, fixtureDir, plainValues, readExpected, requestFor } from './sklearn-fixtures.ts';

const sampleCase = 'column_transformer_onehot';
const sampleExpected = readExpected(sampleCase);
const sampleColumns = Object.fromEntries(Object.entries(sampleExpected.inputs).map(([name, values]) => [name, values.slice(0, 4)]));

runRuntimeConformance({
  runtime: createSklearnRuntime,
  loadable: fixtureDir(sampleCase),
  // An XGBoost model.json: same file name, other format (detection is by content).
  foreign: { path: `${import.meta.dirname}/../fixtures/xgboost/binary_logitraw`, files: ['case.json', 'model.json'] },
  sample: requestFor(
    [{ name: 'x', datatype: 'FP64', shape: [-1] }, { name: 'y', datatype: 'FP64', shape: [-1] }, { name: 'z', datatype: 'FP64', shape: [-1] },
      { name: 'city', datatype: 'BYTES', shape: [-1] }, { name: 'colour', datatype: 'BYTES', shape: [-1] }],
    sampleColumns,
  ),
  // scikit-learn's answers for the same four rows.
  reference: {
    predict: sampleExpected.predict!.slice(0, 4).map((label) => BigInt(label)),
    predict_proba: sampleExpected.predict_proba!.slice(0, 4).flat(),
  },
});

/** One test per fixture (one per estimator): served predictions against scikit-learn's own. */
describe('sklearn runtime against scikit-learn predictions', () => {
  for (const name of fixtureCases()) {
    const expected = readExpected(name);
    it(`${name}: ${expected.note}`, async () => {
      const instance = await createSklearnRuntime().load({ name, version: '1', dir: fixtureDir(name), options: {} }, silentContext);
      const [result] = await instance.execute([requestFor(instance.signature.inputs, expected.inputs)], new AbortController().signal);
      const outputs = new Map(result!.outputs.map((t) => [t.name, t]));
      const failures: string[] = [];
      if (expected.transform) {
        const transform = outputs.get('transform')!;
        const width = expected.transform[0]!.length;
        expect(transform.shape).toEqual([expected.transform.length, width]);
        const values = plainValues(transform) as number[];
        expected.transform.forEach((row, r) => row.forEach((want, j) => {
          if (!close(values[r * width + j]!, want)) failures.push(`row ${r} transform[${j}]: ${values[r * width + j]} vs sklearn ${want}`);
        }));
        expect(failures.slice(0, 10), `${failures.length} mismatches`).toEqual([]);
        return;
      }
      const rows = expected.predict!.length;

      const predict = outputs.get('predict')!;
      expect(predict.shape).toEqual([rows]);
      const got = plainValues(predict);
      const regression = predict.datatype === 'FP64' && !instance.signature.outputs.some((o) => o.name === 'predict_proba');
      expected.predict!.forEach((want, r) => {
        const ok = regression ? close(got[r] as number, want as number) : got[r] === want;
        if (!ok) failures.push(`row ${r} predict: ${got[r]} vs sklearn ${want}`);
      });

      expect(outputs.has('predict_proba')).toBe(expected.predict_proba !== undefined);
      if (expected.predict_proba) {
        const proba = outputs.get('predict_proba')!;
        const k = expected.predict_proba[0]!.length;
        expect(proba.shape).toEqual([rows, k]);
        const values = plainValues(proba) as number[];
        expected.predict_proba.forEach((row, r) => row.forEach((want, j) => {
          if (!close(values[r * k + j]!, want)) failures.push(`row ${r} proba[${j}]: ${values[r * k + j]} vs sklearn ${want}`);
        }));
      }
      expect(failures.slice(0, 10), `${failures.length} mismatches`).toEqual([]);
      await instance.unload();
    });
  }
});
