import { describe, expect, it } from 'vitest';
import { ferryError, type ErrorCode, type ErrorParams } from '../src/errors/index.ts';
import { FORMAT_EXAMPLES, expectedFlat, v2Inputs } from './fixtures/examples/references.ts';
import { serveFormatExamples } from './helpers/format-examples-server.ts';
import { postJson } from './helpers/server.ts';

/**
 * Bad input over V2 REST for the "models as data" examples: every case answers 400 with the catalogue's message
 * (rendered here from src/errors/catalogue.ts, never copied from a response), and the model keeps serving.
 */
const ferry = serveFormatExamples();

type V2Input = { name: string; datatype: string; shape: number[]; data: unknown[] };

const catalogue = (code: ErrorCode, params: ErrorParams) => ({ error: ferryError(code, params).message });

describe.each(FORMAT_EXAMPLES)('$model: bad input over V2 REST is a 400 with the catalogue message', (example) => {
  const reference = () => ferry.reference(example.model);
  /** Two good rows as V2 inputs, for a test to spoil. */
  const goodInputs = () => v2Inputs(reference(), reference().rows.slice(0, 2)) as V2Input[];
  const infer = (inputs: unknown) => postJson(`${ferry.url}/v2/models/${example.model}/infer`, { inputs });
  const numeric = () => reference().features.find((f) => f.kind === 'numeric')!.name;

  it('a missing feature', async () => {
    for (const feature of reference().features) {
      const r = await infer(goodInputs().filter((i) => i.name !== feature.name));
      expect(r.status, feature.name).toBe(400);
      expect(r.body).toEqual(catalogue('FERRY_ERR_INPUT_MISSING', { model: example.model, input: feature.name }));
    }
  });

  it('text (BYTES) for a numeric feature, which takes any numeric datatype', async () => {
    const inputs = goodInputs();
    const input = inputs.find((i) => i.name === numeric())!;
    input.datatype = 'BYTES';
    input.data = ['12', '13'];
    const r = await infer(inputs);
    expect(r.status).toBe(400);
    const computes = example.runtime === 'xgboost' ? 'FP32' : 'FP64';
    const expected = `a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in ${computes})`;
    expect(r.body).toEqual(catalogue('FERRY_ERR_DATATYPE_MISMATCH', { input: numeric(), actual: 'BYTES', expected }));
  });

  it('a number where a categorical feature takes strings (BYTES)', async () => {
    const categorical = reference().features.find((f) => f.kind === 'categorical');
    if (!categorical) {
      expect(example.model).toBe('iris_xgboost'); // the one example whose features are all numeric
      return;
    }
    const inputs = goodInputs();
    const input = inputs.find((i) => i.name === categorical.name)!;
    input.datatype = 'FP64';
    input.data = [1, 2];
    const r = await infer(inputs);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(catalogue('FERRY_ERR_DATATYPE_MISMATCH', { input: categorical.name, actual: 'FP64', expected: 'BYTES' }));
  });

  it('non-numeric data in a numeric feature', async () => {
    for (const [bad, shown] of [['abc', '"abc"'], [true, 'true'], [{ value: 1 }, 'an object']] as const) {
      const inputs = goodInputs();
      inputs.find((i) => i.name === numeric())!.data[1] = bad;
      const r = await infer(inputs);
      expect(r.status, shown).toBe(400);
      expect(r.body).toEqual(catalogue('FERRY_ERR_TENSOR_DATA', { input: numeric(), detail: `${shown} is not a number` }));
    }
  });

  it('features of different lengths', async () => {
    const inputs = goodInputs();
    const last = inputs[inputs.length - 1]!;
    last.shape = [1];
    last.data = last.data.slice(0, 1);
    const r = await infer(inputs);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(catalogue('FERRY_ERR_SHAPE_MISMATCH', { input: last.name, actual: '[1]', expected: '[2] like the other features' }));
  });

  it('an input the model does not have', async () => {
    const r = await infer([...goodInputs(), { name: 'colour', datatype: 'BYTES', shape: [2], data: ['red', 'blue'] }]);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(catalogue('FERRY_ERR_INPUT_UNEXPECTED', { model: example.model, input: 'colour', expected: reference().features.map((f) => f.name).join(', ') }));
  });

  it('still answers good requests afterwards', async () => {
    const r = await infer(goodInputs());
    expect(r.status).toBe(200);
    const label = r.body.outputs.find((o: { name: string }) => o.name === example.labels[0]);
    expect(label.data).toEqual(expectedFlat(reference(), example.labels[0]!, [0, 1]));
  });
});
