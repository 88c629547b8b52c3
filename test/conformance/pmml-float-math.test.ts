/**
 * `x-mathContext="float"` on a PMML model: its arithmetic in float32, every operand and result rounded as Java's
 * `float` (JPMML-Evaluator's FloatValue). Expected values are numpy float32 arithmetic, written out by
 *   f = np.float32; s = f(0.1); s = f(s + f(f(x) * f(0.3))); s = f(s + f(f(float(f(z)) ** 2) * f(1.1)))
 *   p = f(f(0.7) * f(x)); p = f(p * f(z)); y = f(s + p)            # and p0 = f(1 / f(1 + f(exp(-y))))
 * and differ from the double results (0.1 + 0.3 x + 1.1 z² + 0.7 x z), which the same document without the
 * attribute answers. The conformance pack's XGBoost MiningModel (float trees summed in float32) is in
 * pmml-conformance.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors/index.ts';
import { pmmlRuntime } from '../../src/runtimes/pmml/index.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import type { Tensor } from '../../src/tensor/index.ts';

const XS = [0.1, 1.7, -3.3, 100000.3];
const ZS = [2.2, 0.5, 7.1, 3.3];
const FLOAT_Y = [5.6080002784729, 1.4800001382827759, 38.160003662109375, 261012.84375];
const DOUBLE_Y = XS.map((x, i) => 0.1 + 0.3 * x + 1.1 * ZS[i]! ** 2 + 0.7 * x * ZS[i]!);
const FLOAT_P0 = [0.9963449835777283, 0.8145726323127747];

const TABLE = `
      <NumericPredictor name="x" coefficient="0.3"/>
      <NumericPredictor name="z" coefficient="1.1" exponent="2"/>
      <PredictorTerm coefficient="0.7"><FieldRef field="x"/><FieldRef field="z"/></PredictorTerm>`;

function document(model: string, target = '<DataField name="y" optype="continuous" dataType="double"/>'): string {
  return `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="z" optype="continuous" dataType="double"/>
    ${target}
  </DataDictionary>
  ${model}
</PMML>`;
}

const regression = (attrs: string) => document(`<RegressionModel functionName="regression"${attrs}>
    <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
    <RegressionTable intercept="0.1">${TABLE}
    </RegressionTable>
  </RegressionModel>`);

async function run(text: string, rows = XS.length): Promise<Tensor[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-pmml-float-'));
  writeFileSync(path.join(dir, 'model.pmml'), text);
  const model = await pmmlRuntime().load({ name: 'float', version: '1', dir: { path: dir, files: ['model.pmml'] }, options: {} }, silentContext);
  const inputs: Tensor[] = [
    { name: 'x', datatype: 'FP64', shape: [rows], data: Float64Array.from(XS.slice(0, rows)) },
    { name: 'z', datatype: 'FP64', shape: [rows], data: Float64Array.from(ZS.slice(0, rows)) },
  ];
  const [result] = await model.execute([{ inputs }], new AbortController().signal);
  return [...result!.outputs];
}

const values = (tensor: Tensor | undefined) => Array.from(tensor!.data as Float64Array);

async function loadError(text: string) {
  try {
    await run(text);
  } catch (error) {
    if (isFerryError(error)) return error;
    throw error;
  }
  throw new Error('the document loaded');
}

describe('x-mathContext="float"', () => {
  it('computes a RegressionModel in float32 at every operation, where double arithmetic answers otherwise', async () => {
    const [float] = await run(regression(' x-mathContext="float"'));
    expect(values(float)).toEqual(FLOAT_Y);
    const [double] = await run(regression(''));
    expect(values(double)).toEqual(DOUBLE_Y);
    FLOAT_Y.forEach((y, i) => expect(y).not.toBe(DOUBLE_Y[i]));
  });

  it('computes the logit of a binary classification in float32', async () => {
    const text = document(`<RegressionModel functionName="classification" normalizationMethod="logit" x-mathContext="float">
    <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Output><OutputField name="p_a" feature="probability" value="a"/><OutputField name="p_b" feature="probability" value="b"/></Output>
    <RegressionTable intercept="0.1" targetCategory="a">${TABLE}
    </RegressionTable>
    <RegressionTable intercept="0" targetCategory="b"/>
  </RegressionModel>`, '<DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>');
    const outputs = await run(text, 2);
    expect(values(outputs.find((t) => t.name === 'p_a'))).toEqual(FLOAT_P0);
    expect(values(outputs.find((t) => t.name === 'p_b'))).toEqual(FLOAT_P0.map((p) => Math.fround(1 - p)));
  });

  it('is inherited by segments and sums them, then rescales the target, in float32', async () => {
    const tree = (score: string) => `<Segment><True/><TreeModel functionName="regression">
        <MiningSchema><MiningField name="x"/></MiningSchema><Node score="${score}"><True/></Node></TreeModel></Segment>`;
    const text = document(`<MiningModel functionName="regression" x-mathContext="float">
    <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Targets><Target field="y" rescaleConstant="23.445919"/></Targets>
    <Segmentation multipleModelMethod="sum">${tree('0.1')}${tree('0.2')}</Segmentation>
  </MiningModel>`);
    const [y] = await run(text, 1);
    const f = Math.fround;
    expect(values(y)).toEqual([f(f(f(0.1) + f(0.2)) + f(23.445919))]);
    expect(values(y)[0]).toBe(23.74591827392578); // numpy float32; double arithmetic gives 23.745919
  });

  it('is refused where Ferry has no float arithmetic, instead of computing in double', async () => {
    const network = document(`<NeuralNetwork functionName="regression" activationFunction="identity" x-mathContext="float">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <NeuralInputs><NeuralInput id="0"><DerivedField optype="continuous" dataType="double"><FieldRef field="x"/></DerivedField></NeuralInput></NeuralInputs>
    <NeuralLayer><Neuron id="1" bias="0"><Con from="0" weight="1"/></Neuron></NeuralLayer>
    <NeuralOutputs><NeuralOutput outputNeuron="1"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs>
  </NeuralNetwork>`);
    const error = await loadError(network);
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toContain('x-mathContext="float" is supported on RegressionModel, TreeModel and MiningModel, not <NeuralNetwork>');
    const probit = await loadError(regression(' x-mathContext="float" normalizationMethod="probit"'));
    expect(probit.message).toContain("normalizationMethod 'probit' has no float arithmetic");
  });
});
