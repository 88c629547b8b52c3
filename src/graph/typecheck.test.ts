import { describe, expect, it } from 'vitest';
import { graphSchema, type GraphSpec } from './spec.ts';
import { typecheck, type Signature } from './typecheck.ts';

/** `scaler` answers FP64 `x`, which feeds `trees`. */
function spec(): GraphSpec {
  const parsed = graphSchema.parse({
    nodes: [
      { name: 'scaler', type: 'model', model: 'scaler' },
      { name: 'trees', type: 'model', model: 'trees', inputs: ['scaler'] },
    ],
  });
  return { ...parsed, name: 'g', output: 'trees' };
}

const scaler: Signature = { inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }], outputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }] };
const trees = (extra: Partial<Signature> = {}): Signature => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }], outputs: [{ name: 'y', datatype: 'FP64', shape: [-1] }], ...extra,
});

describe('graph typecheck of datatypes between nodes', () => {
  it('feeds FP64 to an FP32 input of a model that converts numeric inputs', () => {
    const signature = typecheck(spec(), (node) => (node.model === 'scaler' ? scaler : trees({ numericInputs: 'convert' })));
    expect(signature.outputs).toEqual([{ name: 'y', datatype: 'FP64', shape: [-1] }]);
  });

  it('refuses it for a model that takes its declared datatype only', () => {
    expect(() => typecheck(spec(), (node) => (node.model === 'scaler' ? scaler : trees()))).toThrow(/input 'x' is FP64 upstream, the model takes FP32/);
  });

  it('refuses BYTES even for a model that converts numeric inputs', () => {
    const text: Signature = { ...scaler, outputs: [{ name: 'x', datatype: 'BYTES', shape: [-1] }] };
    expect(() => typecheck(spec(), (node) => (node.model === 'scaler' ? text : trees({ numericInputs: 'convert' })))).toThrow(/is BYTES upstream/);
  });
});
