import type { ModelSignature } from '../runtimes/runtime.ts';
import { convertToFloat, isNumericDatatype, type Datatype, type InferRequest, type Tensor } from '../tensor/index.ts';

const isFloatTarget = (datatype: Datatype): datatype is 'FP32' | 'FP64' => datatype === 'FP32' || datatype === 'FP64';

/** True when a model that converts its numeric inputs takes `actual` for an input declared `declared`. */
export function convertible(signature: Pick<ModelSignature, 'numericInputs'>, actual: Datatype, declared: Datatype): boolean {
  return signature.numericInputs === 'convert' && isFloatTarget(declared) && isNumericDatatype(actual);
}

/** What a datatype error says the model expects: the declared datatype, or any numeric one when it converts. */
export function expectedDatatype(signature: ModelSignature, declared: Datatype): string {
  if (signature.numericInputs !== 'convert' || !isFloatTarget(declared)) return declared;
  return `a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in ${declared})`;
}

/**
 * A validated request with every input the model converts in its declared datatype (the request itself when none
 * needs it), so that instances see only what they declare and requests sent in different datatypes batch together.
 */
export function convertInputs(signature: ModelSignature, request: InferRequest): InferRequest {
  if (signature.numericInputs !== 'convert') return request;
  let inputs: Tensor[] | undefined;
  for (let i = 0; i < request.inputs.length; i++) {
    const input = request.inputs[i]!;
    const declared = signature.inputs.find((t) => t.name === input.name)!.datatype;
    if (input.datatype === declared || !isFloatTarget(declared)) continue;
    inputs ??= [...request.inputs];
    inputs[i] = { ...input, datatype: declared, data: convertToFloat(input.datatype, input.data, declared) };
  }
  return inputs === undefined ? request : { ...request, inputs };
}
