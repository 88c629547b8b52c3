import { ferryError } from '../errors/index.ts';
import type { ExecuteResult, ModelSignature } from '../runtimes/runtime.ts';
import { decodeJsonData, elementCount, type InferRequest, type Tensor } from '../tensor/index.ts';

/**
 * model.yaml `default_output: {<output>: <value for one row>}` → the answer given instead of a prediction when a
 * request's deadline passes before it runs (Clipper's straggler answer). Each output repeats its row value once per
 * request row; the data plane flags such answers in the response parameters.
 */
export function defaultOutputFor(model: string, signature: ModelSignature, spec: Readonly<Record<string, unknown>>): (request: InferRequest) => ExecuteResult {
  const rows = Object.entries(spec).map(([name, value]) => {
    const declared = signature.outputs.find((o) => o.name === name);
    if (!declared) {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `default_output names '${name}', which is not an output (outputs: ${signature.outputs.map((o) => o.name).join(', ')})` });
    }
    const rowShape = declared.shape.slice(1).map((d) => (d === -1 ? 1 : d));
    const flat = Array.isArray(value) ? value.flat(32) : [value];
    if (flat.length !== elementCount(rowShape)) {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `default_output '${name}' needs ${elementCount(rowShape)} values per row, has ${flat.length}` });
    }
    return { declared, rowShape, flat };
  });
  return (request) => {
    const count = request.inputs[0]?.shape[0] ?? 1;
    const outputs: Tensor[] = rows.map(({ declared, rowShape, flat }) => {
      const shape = [count, ...rowShape];
      const repeated = Array.from({ length: count }, () => flat).flat();
      return { name: declared.name, datatype: declared.datatype, shape, data: decodeJsonData(declared.name, declared.datatype, shape, repeated) };
    });
    return { outputs };
  };
}
