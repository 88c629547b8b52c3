// PMML's comparison operators at their boundaries, in both places they occur: SimplePredicate's operator
// attribute and the built-in functions of Apply. The inputs sit below, on and above the constant 2, so that
// each operator's answer at equality (the one an off-by-one changes) is checked. Expected values follow from
// the operators' definitions in the PMML specification.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentContext } from '../runtime.case.ts';
import type { Tensor } from '../../tensor/index.ts';
import { pmmlRuntime } from './index.ts';

const OPERATORS = ['equal', 'notEqual', 'lessThan', 'lessOrEqual', 'greaterThan', 'greaterOrEqual'] as const;
const X = [1, 2, 3, 1.9999999999, 2.0000000001];
const HOLDS: Record<(typeof OPERATORS)[number], (x: number) => boolean> = {
  equal: (x) => x === 2, notEqual: (x) => x !== 2, lessThan: (x) => x < 2,
  lessOrEqual: (x) => x <= 2, greaterThan: (x) => x > 2, greaterOrEqual: (x) => x >= 2,
};

// One tree per operator, scoring 2^k when its SimplePredicate holds, summed: the prediction is a bit mask.
const segment = (operator: string, k: number) => `
      <Segment id="${operator}"><True/>
        <TreeModel functionName="regression" noTrueChildStrategy="returnLastPrediction">
          <MiningSchema><MiningField name="x"/></MiningSchema>
          <Node score="0"><True/><Node score="${2 ** k}"><SimplePredicate field="x" operator="${operator}" value="2"/></Node></Node>
        </TreeModel>
      </Segment>`;
// One output per operator: 1 when the Apply function holds, else 0.
const applied = (operator: string) => `
      <OutputField name="apply_${operator}" feature="transformedValue" dataType="double">
        <Apply function="if"><Apply function="${operator}"><FieldRef field="x"/><Constant>2</Constant></Apply><Constant>1</Constant><Constant>0</Constant></Apply>
      </OutputField>`;

const DOCUMENT = `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary>
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <MiningModel functionName="regression">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Output>
      <OutputField name="mask" feature="predictedValue"/>${OPERATORS.map(applied).join('')}
    </Output>
    <Segmentation multipleModelMethod="sum">${OPERATORS.map(segment).join('')}
    </Segmentation>
  </MiningModel>
</PMML>`;

async function evaluate(): Promise<Map<string, number[]>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-pmml-operators-'));
  writeFileSync(path.join(dir, 'model.pmml'), DOCUMENT);
  const model = await pmmlRuntime().load({ name: 'operators', version: '1', dir: { path: dir, files: ['model.pmml'] }, options: {} }, silentContext);
  try {
    const input: Tensor = { name: 'x', datatype: 'FP64', shape: [X.length], data: Float64Array.from(X) };
    const [result] = await model.execute([{ inputs: [input] }], new AbortController().signal);
    return new Map(result!.outputs.map((t) => [t.name, Array.from(t.data as Float64Array)]));
  } finally {
    await model.unload();
  }
}

describe('PMML comparison operators', () => {
  it('SimplePredicate operators hold exactly where the specification says, equality included', async () => {
    const mask = (await evaluate()).get('mask')!;
    const expected = X.map((x) => OPERATORS.reduce((sum, op, k) => sum + (HOLDS[op](x) ? 2 ** k : 0), 0));
    // Written out for x = 1, 2, 3: notEqual+lessThan+lessOrEqual, equal+lessOrEqual+greaterOrEqual, notEqual+greaterThan+greaterOrEqual.
    expect(expected.slice(0, 3)).toEqual([2 + 4 + 8, 1 + 8 + 32, 2 + 16 + 32]);
    expect(mask).toEqual(expected);
  });

  it('Apply comparison functions hold exactly where the specification says, equality included', async () => {
    const outputs = await evaluate();
    for (const op of OPERATORS) expect(outputs.get(`apply_${op}`), op).toEqual(X.map((x) => (HOLDS[op](x) ? 1 : 0)));
  });
});
