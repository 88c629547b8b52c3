import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pmmlRuntime } from '../../src/runtimes/pmml/index.ts';
import { silentContext } from '../../src/runtimes/runtime.case.ts';
import { watchEventLoop } from '../helpers/event-loop.ts';

/** A PMML random forest: `trees` full binary trees of `depth` over `fields` numeric fields, summed. */
function forestDocument(trees: number, depth: number, fields: number): string {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const node = (level: number): string => {
    if (level === depth) return `<Node score="${random().toFixed(4)}"><True/></Node>`;
    const field = `x${Math.floor(random() * fields)}`;
    const threshold = random().toFixed(3);
    return `<Node><True/><Node><SimplePredicate field="${field}" operator="lessThan" value="${threshold}"/>${inner(level + 1)}</Node>`
      + `<Node><True/>${inner(level + 1)}</Node></Node>`;
  };
  // A child Node wraps a predicate then its own children; flatten the recursion into that shape.
  const inner = (level: number): string => (level === depth ? `<Node score="${random().toFixed(4)}"><True/></Node>` : node(level).replace(/^<Node><True\/>|<\/Node>$/g, ''));
  const names = Array.from({ length: fields }, (_, i) => `x${i}`);
  const segments = Array.from({ length: trees }, (_, t) => `<Segment id="${t}"><True/><TreeModel functionName="regression" noTrueChildStrategy="returnLastPrediction">
    <MiningSchema>${names.map((n) => `<MiningField name="${n}"/>`).join('')}</MiningSchema>${node(0)}</TreeModel></Segment>`).join('\n');
  return `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header/>
  <DataDictionary>${names.map((n) => `<DataField name="${n}" optype="continuous" dataType="double"/>`).join('')}<DataField name="y" optype="continuous" dataType="double"/></DataDictionary>
  <MiningModel functionName="regression">
    <MiningSchema>${names.map((n) => `<MiningField name="${n}"/>`).join('')}<MiningField name="y" usageType="target"/></MiningSchema>
    <Segmentation multipleModelMethod="sum">${segments}</Segmentation>
  </MiningModel>
</PMML>`;
}

describe('PMML evaluation of a large forest', () => {
  it('yields to the event loop while a big batch runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-pmml-forest-'));
    writeFileSync(path.join(dir, 'model.pmml'), forestDocument(200, 7, 8));
    const instance = await pmmlRuntime().load({ name: 'forest', version: '1', dir: { path: dir, files: ['model.pmml'] }, options: {} }, silentContext);
    const rows = 3_000;
    const inputs = instance.signature.inputs.map((input, i) => ({
      name: input.name, datatype: 'FP64' as const, shape: [rows], data: Float64Array.from({ length: rows }, (_, r) => ((r * 31 + i * 17) % 1000) / 1000),
    }));
    const { result: [result], elapsedMs, longestGapMs } = await watchEventLoop(() => instance.execute([{ inputs }], new AbortController().signal));
    expect(result!.outputs[0]!.data).toHaveLength(rows);
    expect(elapsedMs).toBeGreaterThan(150); // long enough that one unbroken run would have blocked the loop
    expect(longestGapMs).toBeLessThan(Math.max(60, elapsedMs / 4));
  }, 60_000);
});
