import { describe, expect, it } from 'vitest';
import type { ExecuteResult, ModelInstance } from '../runtimes/runtime.ts';
import type { InferRequest } from '../tensor/index.ts';
import { applySignatureOverrides } from './signature-override.ts';

/** A model with inputs INPUT0, INPUT1 and outputs OUT0, OUT1 that records what it is given and echoes INPUT0. */
function echoModel(extra: Partial<ModelInstance> = {}) {
  const seen: InferRequest[][] = [];
  const unloaded: number[] = [];
  const instance: ModelInstance = {
    signature: {
      platform: 'test',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [-1, 4] }, { name: 'INPUT1', datatype: 'INT32', shape: [-1] }],
      outputs: [{ name: 'OUT0', datatype: 'FP32', shape: [-1, 4] }, { name: 'OUT1', datatype: 'INT64', shape: [-1] }],
    },
    maxBatchSize: 8,
    async execute(batch): Promise<ExecuteResult[]> {
      seen.push([...batch]);
      return batch.map((r) => ({ outputs: [{ ...r.inputs[0]!, name: 'OUT0' }, { name: 'OUT1', datatype: 'INT64', shape: [1], data: new BigInt64Array(1) }], parameters: { echoed: true } }));
    },
    unload: async () => {
      unloaded.push(1);
    },
    ...extra,
  };
  return { instance, seen, unloaded };
}

const x = (name: string): InferRequest['inputs'][number] => ({ name, datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) });

describe('model.yaml inputs and outputs overrides', () => {
  it('names the inputs of the model\'s saved example as served, and keeps a model\'s request lists unmerged', () => {
    const example = { inputs: [{ name: 'INPUT0', datatype: 'FP32' as const, shape: [1, 4], data: [1, 2, 3, 4] }, { name: 'INPUT1', datatype: 'INT32' as const, shape: [1], data: [7] }] };
    const { instance } = echoModel({ unmergedBatches: true });
    const withExample = { ...instance, signature: { ...instance.signature, inputExample: example } };
    const served = applySignatureOverrides('m', withExample, [{ name: 'features', source: 'INPUT0' }]);
    expect(served.signature.inputExample).toEqual({ inputs: [{ ...example.inputs[0], name: 'features' }, example.inputs[1]] });
    expect(served.unmergedBatches).toBe(true);
  });

  it('returns the instance itself when nothing is overridden', () => {
    const { instance } = echoModel();
    expect(applySignatureOverrides('m', instance)).toBe(instance);
    expect(applySignatureOverrides('m', instance, [], [])).toBe(instance);
  });

  it('advertises served names, datatypes and shapes, and keeps what is not overridden', () => {
    const { instance } = echoModel();
    const served = applySignatureOverrides('m', instance, [{ name: 'features', source: 'INPUT0', shape: [-1, 2, 2] }, { name: 'INPUT1', datatype: 'INT64' }], [{ name: 'scores', source: 'OUT0' }]);
    expect(served.signature).toEqual({
      platform: 'test',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 2, 2] }, { name: 'INPUT1', datatype: 'INT64', shape: [-1] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 4] }, { name: 'OUT1', datatype: 'INT64', shape: [-1] }],
    });
    expect(served.maxBatchSize).toBe(8);
    expect(served.pipelineDepth).toBeUndefined();
    expect('pipelineDepth' in served).toBe(false);
  });

  it('maps served input names to the model on every request, and the model output names back', async () => {
    const { instance, seen } = echoModel();
    const served = applySignatureOverrides('m', instance, [{ name: 'features', source: 'INPUT0' }], [{ name: 'scores', source: 'OUT0' }]);
    const signal = new AbortController().signal;
    const [result] = await served.execute([{ id: 'r1', inputs: [x('features'), x('INPUT1')] }], signal);
    expect(seen[0]!.map((r) => ({ id: r.id, names: r.inputs.map((t) => t.name) }))).toEqual([{ id: 'r1', names: ['INPUT0', 'INPUT1'] }]);
    expect(result!.outputs.map((t) => t.name)).toEqual(['scores', 'OUT1']);
    expect(result!.parameters).toEqual({ echoed: true });
    expect(result!.outputs[0]!.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('leaves names alone in the direction that has no renames', async () => {
    const { instance, seen } = echoModel();
    const outputsOnly = applySignatureOverrides('m', instance, [], [{ name: 'scores', source: 'OUT0' }]);
    const [result] = await outputsOnly.execute([{ inputs: [x('INPUT0')] }], new AbortController().signal);
    expect(seen[0]![0]!.inputs[0]!.name).toBe('INPUT0');
    expect(result!.outputs.map((t) => t.name)).toEqual(['scores', 'OUT1']);
    const inputsOnly = applySignatureOverrides('m', instance, [{ name: 'features', source: 'INPUT0' }]);
    const [plain] = await inputsOnly.execute([{ inputs: [x('features')] }], new AbortController().signal);
    expect(plain!.outputs.map((t) => t.name)).toEqual(['OUT0', 'OUT1']);
  });

  it('passes the signal and whether inputs may be moved, keeps the pipeline depth, and unloads the model', async () => {
    const calls: unknown[] = [];
    const { instance, unloaded } = echoModel({ pipelineDepth: 2 });
    const original = instance.execute.bind(instance);
    const spying: ModelInstance = {
      ...instance,
      execute: (batch, signal, movable) => {
        calls.push([signal, movable]);
        return original(batch, signal, movable);
      },
    };
    const served = applySignatureOverrides('m', spying, [{ name: 'features', source: 'INPUT0' }]);
    expect(served.pipelineDepth).toBe(2);
    const signal = new AbortController().signal;
    await served.execute([{ inputs: [x('features')] }], signal, true);
    expect(calls).toEqual([[signal, true]]);
    await served.unload();
    expect(unloaded).toEqual([1]);
  });

  it('refuses an override of a tensor the model does not have, by its source name', () => {
    const { instance } = echoModel();
    expect(() => applySignatureOverrides('m', instance, [{ name: 'features', source: 'INPUT9' }])).toThrow(
      "failed to load model 'm': model.yaml overrides 'INPUT9', which the model does not have (has: INPUT0, INPUT1)",
    );
    expect(() => applySignatureOverrides('m', instance, [], [{ name: 'OUT7' }])).toThrow("model.yaml overrides 'OUT7', which the model does not have (has: OUT0, OUT1)");
  });
});
