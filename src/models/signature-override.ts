import { ferryError } from '../errors/index.ts';
import type { TensorOverride } from '../repository/index.ts';
import type { ExecuteResult, ModelInstance } from '../runtimes/runtime.ts';
import type { InferRequest, TensorMetadata } from '../tensor/index.ts';

/**
 * Applies model.yaml `inputs:` / `outputs:` overrides: a served name (`name`, with `source` the model's own name),
 * a datatype or a shape. Renames are mapped on every request; datatype and shape only change what is advertised
 * and validated, so they must agree with what the model accepts.
 */
export function applySignatureOverrides(
  model: string,
  instance: ModelInstance,
  inputs: readonly TensorOverride[] = [],
  outputs: readonly TensorOverride[] = [],
): ModelInstance {
  if (inputs.length === 0 && outputs.length === 0) return instance;
  const inputMap = overrideMap(model, instance.signature.inputs, inputs);
  const outputMap = overrideMap(model, instance.signature.outputs, outputs);
  const served = (list: readonly TensorMetadata[], map: Map<string, TensorOverride>) =>
    list.map((t) => {
      const o = map.get(t.name);
      return o ? { ...t, name: o.name, datatype: o.datatype ?? t.datatype, shape: o.shape ?? t.shape } : t;
    });
  const example = instance.signature.inputExample;
  const toModelInput = new Map([...inputMap].map(([source, o]) => [o.name, source]));
  const toServedOutput = new Map([...outputMap].map(([source, o]) => [source, o.name]));
  const renameInputs = (request: InferRequest): InferRequest =>
    toModelInput.size === 0 ? request : { ...request, inputs: request.inputs.map((t) => ({ ...t, name: toModelInput.get(t.name) ?? t.name })) };
  const renameOutputs = (result: ExecuteResult): ExecuteResult =>
    toServedOutput.size === 0 ? result : { ...result, outputs: result.outputs.map((t) => ({ ...t, name: toServedOutput.get(t.name) ?? t.name })) };
  return {
    signature: {
      ...instance.signature, inputs: served(instance.signature.inputs, inputMap), outputs: served(instance.signature.outputs, outputMap),
      ...(example === undefined ? {} : { inputExample: { inputs: example.inputs.map((t) => ({ ...t, name: inputMap.get(t.name)?.name ?? t.name })) } }),
    },
    maxBatchSize: instance.maxBatchSize,
    ...(instance.pipelineDepth === undefined ? {} : { pipelineDepth: instance.pipelineDepth }),
    ...(instance.unmergedBatches === undefined ? {} : { unmergedBatches: instance.unmergedBatches }),
    async execute(batch, signal, inputsMovable) {
      return (await instance.execute(batch.map(renameInputs), signal, inputsMovable)).map(renameOutputs);
    },
    unload: () => instance.unload(),
  };
}

function overrideMap(model: string, declared: readonly TensorMetadata[], overrides: readonly TensorOverride[]): Map<string, TensorOverride> {
  const map = new Map<string, TensorOverride>();
  for (const o of overrides) {
    const source = o.source ?? o.name;
    if (!declared.some((t) => t.name === source)) {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `model.yaml overrides '${source}', which the model does not have (has: ${declared.map((t) => t.name).join(', ')})` });
    }
    map.set(source, o);
  }
  return map;
}
