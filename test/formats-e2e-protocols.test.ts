import { describe, expect, it } from 'vitest';
import { FORMAT_EXAMPLES, expectedFlat, relativeMismatches, type Cell, type ExampleReference, type FormatExample } from './fixtures/examples/references.ts';
import { serveFormatExamples } from './helpers/format-examples-server.ts';
import { postJson } from './helpers/server.ts';

/**
 * The same "models as data" examples through the MLflow scoring protocol (dataframe_split with column names) and
 * TF Serving's row format (instances as objects): columns and object keys map onto the named feature inputs, in
 * any order, and the answers equal the training library's (examples/models/<model>/reference.json).
 */
const ferry = serveFormatExamples();

/** A protocol that answers one object per row, output name → value: checks every output against the reference. */
function expectRecords(example: FormatExample, reference: ExampleReference, records: Record<string, unknown>[]): void {
  expect(records).toHaveLength(reference.rows.length);
  for (const output of example.outputs) {
    const actual = records.flatMap((record) => record[output.name] as unknown);
    const expected = expectedFlat(reference, output.name);
    if (example.labels.includes(output.name)) expect(actual, output.name).toEqual(expected);
    else expect(relativeMismatches(actual, expected), output.name).toEqual([]);
  }
}

/** Feature indexes in reverse: the protocols must map by name, not by position. */
const reversed = (reference: ExampleReference) => reference.features.map((_, j) => j).reverse();

describe.each(FORMAT_EXAMPLES)('$model', (example) => {
  const reference = () => ferry.reference(example.model);

  it('MLflow /invocations with dataframe_split: the column names map onto the named inputs (null = missing)', async () => {
    const order = reversed(reference());
    const columns = order.map((j) => reference().features[j]!.name);
    const data = reference().rows.map((row) => order.map((j) => row[j]));
    const { status, body } = await postJson(`${ferry.url}/mlflow/${example.model}/invocations`, { dataframe_split: { columns, data } });
    expect(status, JSON.stringify(body)).toBe(200);
    expectRecords(example, reference(), body.predictions);
  });

  it('TF Serving :predict with instances as objects: the keys map onto the named inputs', async () => {
    const order = reversed(reference());
    // JSON null is a missing number; TF Serving's BYTES values are strings, so a missing category is ''.
    const cell = (j: number, value: Cell) => (value === null && reference().features[j]!.kind === 'categorical' ? '' : value);
    const instances = reference().rows.map((row) => Object.fromEntries(order.map((j) => [reference().features[j]!.name, cell(j, row[j]!)])));
    const { status, body } = await postJson(`${ferry.url}/v1/models/${example.model}:predict`, { instances });
    expect(status, JSON.stringify(body)).toBe(200);
    expectRecords(example, reference(), body.predictions);
  });

  it('a missing column is a 400 naming the feature, in each protocol\'s error shape', async () => {
    const features = reference().features;
    const missing = features[features.length - 1]!.name;
    const columns = features.slice(0, -1).map((f) => f.name);
    const data = reference().rows.slice(0, 2).map((row) => row.slice(0, -1));
    const mlflow = await postJson(`${ferry.url}/mlflow/${example.model}/invocations`, { dataframe_split: { columns, data } });
    expect(mlflow.status).toBe(400);
    expect(mlflow.body.error_code).toBe('BAD_REQUEST');
    expect(mlflow.body.message).toContain(missing);
    const instances = data.map((row) => Object.fromEntries(columns.map((c, j) => [c, row[j] as Cell])));
    const tfs = await postJson(`${ferry.url}/v1/models/${example.model}:predict`, { instances });
    expect(tfs.status).toBe(400);
    expect(tfs.body.error).toContain(missing);
  });
});
