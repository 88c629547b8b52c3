import { describe, expect, it } from 'vitest';
import { FORMAT_EXAMPLES, expectedFlat, maxRelative, relativeMismatches, v2Inputs } from './fixtures/examples/references.ts';
import { serveFormatExamples } from './helpers/format-examples-server.ts';
import { getJson, postJson } from './helpers/server.ts';

/**
 * The "models as data" formats served end to end over V2 REST by a real server over examples/models: XGBoost
 * JSON, a scikit-learn pipeline (ferry-sklearn), PMML and LightGBM text. Every number is compared with what the
 * library that trained the model answered (examples/models/<model>/reference.json, made by
 * test/fixtures/examples/make_examples.py): within 1e-6 relative, class labels exactly. The rows include
 * missing numbers (JSON null), missing categories ('') and categories never seen in training.
 */
const ferry = serveFormatExamples();

const infer = (model: string, body: unknown) => postJson(`${ferry.url}/v2/models/${model}/infer`, body);

describe.each(FORMAT_EXAMPLES)('$model over V2 REST', (example) => {
  const reference = () => ferry.reference(example.model);

  it('is detected by its files and ready, with no model.yaml', async () => {
    const ready = await fetch(`${ferry.url}/v2/models/${example.model}/ready`);
    expect(ready.status).toBe(200);
  });

  it('metadata lists one named input per feature (FP64 [-1], FP32 for XGBoost, BYTES [-1] for categorical strings) and the outputs', async () => {
    const { status, body } = await getJson(`${ferry.url}/v2/models/${example.model}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      name: example.model,
      versions: ['1'],
      platform: example.platform,
      inputs: reference().features.map((f) => ({ name: f.name, datatype: f.kind === 'categorical' ? 'BYTES' : example.runtime === 'xgboost' ? 'FP32' : 'FP64', shape: [-1] })),
      outputs: example.outputs,
    });
  });

  it('infer with named feature inputs equals the training library on every row (missing and unseen values included)', async () => {
    const rows = reference().rows;
    const { status, body } = await infer(example.model, { id: 'e2e', inputs: v2Inputs(reference()) });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.id).toBe('e2e');
    expect(body.model_name).toBe(example.model);
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(example.outputs.map((o) => o.name));
    for (const output of example.outputs) {
      const tensor = body.outputs.find((o: { name: string }) => o.name === output.name);
      expect(tensor.datatype).toBe(output.datatype);
      expect(tensor.shape).toEqual(output.shape.map((d) => (d === -1 ? rows.length : d)));
      const expected = expectedFlat(reference(), output.name);
      if (example.labels.includes(output.name)) expect(tensor.data, output.name).toEqual(expected);
      else {
        expect(relativeMismatches(tensor.data, expected), output.name).toEqual([]);
        console.info(`${example.model} ${output.name}: max relative difference ${maxRelative(tensor.data, expected as number[]).toExponential(1)} vs ${reference().library}`);
      }
    }
  });

  it('one row per request answers the same as the whole batch (requests may be merged by the scheduler)', async () => {
    const rows = reference().rows;
    const answers = await Promise.all(rows.map((row) => infer(example.model, { inputs: v2Inputs(reference(), [row]) })));
    for (const output of example.outputs) {
      const actual = answers.flatMap((a) => a.body.outputs.find((o: { name: string }) => o.name === output.name).data);
      expect(relativeMismatches(actual, expectedFlat(reference(), output.name)), output.name).toEqual([]);
    }
  });

  it('outputs can be selected by name', async () => {
    const label = example.labels[0]!;
    const { status, body } = await infer(example.model, { inputs: v2Inputs(reference(), reference().rows.slice(0, 3)), outputs: [{ name: label }] });
    expect(status).toBe(200);
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0].data).toEqual(expectedFlat(reference(), label, [0, 1, 2]));
  });
});

describe('input order', () => {
  it('named inputs may come in any order', async () => {
    for (const example of FORMAT_EXAMPLES) {
      const reference = ferry.reference(example.model);
      const { status, body } = await infer(example.model, { inputs: v2Inputs(reference).reverse() });
      expect(status).toBe(200);
      const label = body.outputs.find((o: { name: string }) => o.name === example.labels[0]);
      expect(label.data, example.model).toEqual(expectedFlat(reference, example.labels[0]!));
    }
  });

});
