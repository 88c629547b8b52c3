/**
 * PMML 3.0–3.2 documents are read as PMML 4.x where the schemas agree, as JPMML-Evaluator reads them. Third-party
 * documents of the conformance pack (R/rattle, KNIME) declared as 3.x answer exactly what they answer as 4.x
 * (which pmml-conformance.test.ts checks against their producers); a hand-written 3.0 document answers its own
 * arithmetic and its 3.0 `rawDataValue` display values; what PMML 3 models differently is refused by name.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors/index.ts';
import { pmmlRuntime } from '../../src/runtimes/pmml/index.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import type { ModelInstance } from '../../src/runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../../src/tensor/index.ts';
import { readCsv } from '../helpers/csv.ts';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/conformance/pmml');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function documentDir(text: string): { path: string; files: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-pmml3-'));
  writeFileSync(path.join(dir, 'model.pmml'), text);
  return { path: dir, files: ['model.pmml'] };
}

const load = (text: string) => pmmlRuntime().load({ name: 'pmml3', version: '1', dir: documentDir(text), options: {} }, silentContext);

/** The document as PMML `version`: its namespace and version attribute rewritten, nothing else. */
function asVersion(text: string, version: string): string {
  return text
    .replace(/http:\/\/www\.dmg\.org\/PMML-4_\d/, `http://www.dmg.org/PMML-${version.replace('.', '_')}`)
    .replace(/(<PMML\b[^>]*\bversion=")4\.\d(")/, `$1${version}$2`);
}

/** The pack's input rows as a request for the instance's signature ('NA' is missing). */
function packRequest(instance: ModelInstance, inputFile: string): InferRequest {
  const input = readCsv(path.join(PACK, 'inputs', inputFile));
  const inputs: Tensor[] = instance.signature.inputs.map((meta) => {
    const cells = input.rows.map((r) => r[input.header.indexOf(meta.name)] ?? '');
    if (meta.datatype === 'BYTES') return { name: meta.name, datatype: 'BYTES', shape: [cells.length], data: cells.map((c) => (c === 'NA' ? new Uint8Array(0) : encoder.encode(c))) };
    return { name: meta.name, datatype: 'FP64', shape: [cells.length], data: Float64Array.from(cells, (c) => (c === 'NA' || c === '' ? NaN : Number(c))) };
  });
  return { inputs };
}

const plain = (tensors: readonly Tensor[]) => tensors.map((t) => ({
  name: t.name, datatype: t.datatype, data: Array.from(t.data as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? decoder.decode(v) : v)),
}));

const PACK_DOCUMENTS = [
  ['rattle-RegressionAuto.pmml', 'rattle-Auto.csv'],
  ['rattle-DecisionTreeAudit.pmml', 'rattle-Audit.csv'],
  ['knime-DecisionTreeIris.pmml', 'knime-Iris.csv'],
  ['rattle-LogisticRegressionIris.pmml', 'rattle-Iris.csv'],
  ['rattle-NeuralNetworkIris.pmml', 'rattle-Iris.csv'],
] as const;

describe.runIf(existsSync(PACK))('PMML 3.x documents of the conformance pack', () => {
  it.each(PACK_DOCUMENTS.flatMap(([model, input]) => ['3.0', '3.1', '3.2'].map((version) => [model, version, input] as const)))(
    '%s as PMML %s answers what it answers as 4.x', async (model, version, input) => {
      expect(existsSync(path.join(PACK, 'inputs', input)), input).toBe(true);
      const text = readFileSync(path.join(PACK, 'models', model), 'utf8');
      const rewritten = asVersion(text, version);
      expect(rewritten).toContain(`version="${version}"`);
      const [as4, as3] = [await load(text), await load(rewritten)];
      expect(as3.signature).toEqual(as4.signature);
      const request = packRequest(as4, input);
      const [four] = await as4.execute([request], new AbortController().signal);
      const [three] = await as3.execute([request], new AbortController().signal);
      expect(plain(three!.outputs)).toEqual(plain(four!.outputs));
    },
  );
});

/** y = 1.5 + 2 x (a regression), and a classification whose TargetValues carry 3.0 `rawDataValue` display values. */
const PMML_3_0 = `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-3_0" version="3.0">
  <Header copyright="none"/>
  <DataDictionary numberOfFields="2">
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="label" optype="categorical" dataType="string"><Value value="lo"/><Value value="hi"/></DataField>
  </DataDictionary>
  <TreeModel modelName="split" functionName="classification" splitCharacteristic="binarySplit">
    <MiningSchema><MiningField name="x"/><MiningField name="label" usageType="predicted"/></MiningSchema>
    <Output>
      <OutputField name="shown" feature="predictedDisplayValue"/>
      <OutputField name="p_hi" feature="probability" value="hi"/>
    </Output>
    <Targets>
      <Target field="label">
        <TargetValue value="lo" rawDataValue="Low"/>
        <TargetValue value="hi" rawDataValue="High"/>
      </Target>
    </Targets>
    <Node score="lo" recordCount="10">
      <True/>
      <Node score="lo" recordCount="6"><SimplePredicate field="x" operator="lessThan" value="2.5"/>
        <ScoreDistribution value="lo" recordCount="5"/><ScoreDistribution value="hi" recordCount="1"/></Node>
      <Node score="hi" recordCount="4"><SimplePredicate field="x" operator="greaterOrEqual" value="2.5"/>
        <ScoreDistribution value="lo" recordCount="1"/><ScoreDistribution value="hi" recordCount="3"/></Node>
    </Node>
  </TreeModel>
</PMML>`;

async function loadError(text: string) {
  try {
    await load(text);
  } catch (error) {
    if (isFerryError(error)) return error;
    throw error;
  }
  throw new Error('the document loaded');
}

describe('hand-written PMML 3.x documents', () => {
  it('evaluates a 3.0 TreeModel, showing 3.0 rawDataValue as the display value', async () => {
    const model = await load(PMML_3_0);
    const x: Tensor = { name: 'x', datatype: 'FP64', shape: [3], data: Float64Array.of(1, 2.5, 9) };
    const [result] = await model.execute([{ inputs: [x] }], new AbortController().signal);
    expect(plain(result!.outputs)).toEqual([
      { name: 'label', datatype: 'BYTES', data: ['lo', 'hi', 'hi'] },
      { name: 'shown', datatype: 'BYTES', data: ['Low', 'High', 'High'] },
      { name: 'p_hi', datatype: 'FP64', data: [1 / 6, 3 / 4, 3 / 4] },
    ]);
  });

  it('keeps rawDataValue unread in 3.2, where displayValue replaced it', async () => {
    const model = await load(PMML_3_0.replace('PMML-3_0" version="3.0"', 'PMML-3_2" version="3.2"'));
    const x: Tensor = { name: 'x', datatype: 'FP64', shape: [1], data: Float64Array.of(1) };
    const [result] = await model.execute([{ inputs: [x] }], new AbortController().signal);
    expect(plain(result!.outputs)[1]).toEqual({ name: 'shown', datatype: 'BYTES', data: ['lo'] });
  });

  it('refuses a 3.x MiningModel that embeds its models, naming the element', async () => {
    const error = await loadError(`<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-3_2" version="3.2">
  <DataDictionary><DataField name="x" optype="continuous" dataType="double"/><DataField name="y" optype="continuous" dataType="double"/></DataDictionary>
  <MiningModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="predicted"/></MiningSchema>
    <DecisionTree functionName="regression"><Node score="1"><True/></Node></DecisionTree>
  </MiningModel>
</PMML>`);
    expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
    expect(error.message).toContain('<DecisionTree> at line 6: a PMML 3.2 MiningModel with embedded <DecisionTree> elements is not supported');
  });

  it('refuses versions before 3.0 and after 4.x', async () => {
    for (const version of ['2.1', '5.0']) {
      const error = await loadError(`<?xml version="1.0"?>\n<PMML version="${version}"><DataDictionary/></PMML>`);
      expect(error.code).toBe('FERRY_ERR_UNSUPPORTED_MODEL');
      expect(error.message).toContain(`PMML version '${version}' is not supported (Ferry evaluates PMML 3.0–3.2 and 4.x)`);
    }
  });
});
