/**
 * The PMML runtime against the shared runtime suite, a hand-written transformation fixture (expected numbers
 * computed independently in Python, see the comment by EXPECTED), and load/row error behaviour.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors/index.ts';
import { pmmlRuntime } from '../../src/runtimes/pmml/index.ts';
import { runRuntimeConformance, silentContext } from '../../src/runtimes/runtime.case.ts';
import type { ModelDir } from '../../src/runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../../src/tensor/index.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const transforms: ModelDir = { path: path.join(FIXTURES, 'pmml/transforms'), files: ['model.pmml'] };
const foreign: ModelDir = { path: path.join(FIXTURES, 'onnx'), files: readdirSync(path.join(FIXTURES, 'onnx')) };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function request(xs: number[], colours: string[]): InferRequest {
  return {
    inputs: [
      { name: 'x', datatype: 'FP64', shape: [xs.length], data: Float64Array.from(xs) },
      { name: 'colour', datatype: 'BYTES', shape: [colours.length], data: colours.map((c) => encoder.encode(c)) },
    ],
  };
}

const sample = request([0.5, 2, 4, NaN, 3], ['red', 'green', 'blue', 'green', 'purple']);

// Computed with CPython's math module from the formulas the fixture encodes (ln, sqrt, pow, exp, abs, if,
// Discretize, MapValues, Targets rescale), independently of this evaluator.
const EXPECTED = {
  y: [7.829568200650432, 2.515480511000907, 7.032010397195853, 5.8, NaN],
  code: ['RE-low', 'GR-mid', 'BL-high', 'GR-low', ''],
  formatted: ['7.830', '2.515', '7.032', '5.800', ''],
  isRed: ['yes', 'no', 'no', 'no', ''],
};

runRuntimeConformance({
  runtime: pmmlRuntime, loadable: transforms, foreign, sample, tolerance: 1e-12,
  reference: { y: EXPECTED.y, prediction: EXPECTED.y, label: EXPECTED.code, formatted: EXPECTED.formatted, isRed: EXPECTED.isRed },
});

function column(outputs: readonly Tensor[], name: string): unknown[] {
  const tensor = outputs.find((t) => t.name === name);
  if (!tensor) throw new Error(`no output ${name}`);
  return tensor.datatype === 'BYTES' ? (tensor.data as Uint8Array[]).map((b) => decoder.decode(b)) : Array.from(tensor.data as Float64Array);
}

async function load(dir: ModelDir, options: Record<string, unknown> = {}) {
  return pmmlRuntime().load({ name: 'fixture', version: '1', dir, options }, silentContext);
}

describe('PMML transformations and built-in functions', () => {
  it('describes one input per active field and one output per target and OutputField', async () => {
    const model = await load(transforms);
    expect(model.signature.inputs).toEqual([
      { name: 'x', datatype: 'FP64', shape: [-1] },
      { name: 'colour', datatype: 'BYTES', shape: [-1] },
    ]);
    expect(model.signature.outputs.map((o) => [o.name, o.datatype])).toEqual([
      ['y', 'FP64'], ['prediction', 'FP64'], ['label', 'BYTES'], ['formatted', 'BYTES'], ['isRed', 'BYTES'],
    ]);
  });

  it('matches the independently computed values, with replacement and asMissing treatments', async () => {
    const model = await load(transforms);
    const [result] = await model.execute([sample], new AbortController().signal);
    const y = column(result!.outputs, 'y') as number[];
    EXPECTED.y.forEach((want, i) => (Number.isNaN(want) ? expect(y[i]).toBeNaN() : expect(y[i]).toBeCloseTo(want, 12)));
    expect(column(result!.outputs, 'prediction')).toEqual(y);
    expect(column(result!.outputs, 'label')).toEqual(EXPECTED.code);
    expect(column(result!.outputs, 'formatted')).toEqual(EXPECTED.formatted);
    expect(column(result!.outputs, 'isRed')).toEqual(EXPECTED.isRed);
  });

  it('accepts one FP64 matrix input with option inputs: matrix', async () => {
    const model = await load(transforms, { inputs: 'matrix' });
    expect(model.signature.inputs).toEqual([{ name: 'input', datatype: 'FP64', shape: [-1, 2] }]);
  });
});

function documentDir(text: string): ModelDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-pmml-'));
  writeFileSync(path.join(dir, 'model.pmml'), text);
  return { path: dir, files: ['model.pmml'] };
}

const HEAD = `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
`;

async function loadError(text: string) {
  try {
    await load(documentDir(text));
  } catch (error) {
    if (isFerryError(error)) return error;
    throw error;
  }
  throw new Error('the document loaded');
}

describe('PMML load errors', () => {
  it('names an unsupported model element and its line', async () => {
    const error = await loadError(`${HEAD}  <Scorecard functionName="regression"><MiningSchema/></Scorecard>\n</PMML>`);
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toContain('<Scorecard> at line 7');
  });

  it('names an unsupported attribute value and its line', async () => {
    const error = await loadError(`${HEAD}  <RegressionModel functionName="regression" normalizationMethod="zigzag">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"/>
  </RegressionModel>\n</PMML>`);
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toMatch(/<RegressionModel> at line 7: normalizationMethod 'zigzag' is not supported/);
  });

  it('names an unsupported built-in function', async () => {
    const error = await loadError(`${HEAD}  <TransformationDictionary>
    <DerivedField name="z" optype="continuous" dataType="double"><Apply function="erfInverse"><FieldRef field="x"/></Apply></DerivedField>
  </TransformationDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><NumericPredictor name="z" coefficient="1"/></RegressionTable>
  </RegressionModel>\n</PMML>`);
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toContain("<Apply> at line 8: function 'erfInverse' is not supported");
  });

  it('reports malformed XML with its line', async () => {
    const error = await loadError(`${HEAD}  <RegressionModel functionName="regression">\n  </Oops>\n</PMML>`);
    expect(error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(error.message).toMatch(/malformed XML at line 8/);
  });

  it('refuses a field that is not defined', async () => {
    const error = await loadError(`${HEAD}  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><NumericPredictor name="nope" coefficient="1"/></RegressionTable>
  </RegressionModel>\n</PMML>`);
    expect(error.code).toBe('FERRY_ERR_MODEL_LOAD_FAILED');
    expect(error.message).toContain("<NumericPredictor> at line 9: refers to field 'nope'");
  });

  it('refuses a document that is neither PMML 3.0–3.2 nor 4.x', async () => {
    const error = await loadError('<?xml version="1.0"?>\n<PMML version="2.1"><DataDictionary/></PMML>');
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toContain("PMML version '2.1'");
  });
});

describe('PMML row errors', () => {
  it('answers an invalid value under returnInvalid with a catalogue error naming the row and field', async () => {
    const dir = documentDir(`<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema><MiningField name="c"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="1"><CategoricalPredictor name="c" value="a" coefficient="2"/></RegressionTable>
  </RegressionModel>
</PMML>`);
    const model = await load(dir);
    const ok = await model.execute([{ inputs: [{ name: 'c', datatype: 'BYTES', shape: [2], data: [encoder.encode('a'), encoder.encode('b')] }] }], new AbortController().signal);
    expect(column(ok[0]!.outputs, 'y')).toEqual([3, 1]);
    const bad = model.execute([{ inputs: [{ name: 'c', datatype: 'BYTES', shape: [2], data: [encoder.encode('a'), encoder.encode('zz')] }] }], new AbortController().signal);
    await expect(bad).rejects.toMatchObject({ code: 'FERRY_ERR_INVALID_REQUEST', message: expect.stringContaining("row 1: field 'c' has invalid value 'zz'") });
  });
});
