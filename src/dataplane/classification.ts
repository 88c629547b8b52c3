import { ferryError } from '../errors/index.ts';
import { classify, type InferRequest, type Tensor, type TensorMetadata } from '../tensor/index.ts';

/** The output parameter Triton's clients set for the classification extension (`class_count` in their APIs). */
const PARAMETER = 'classification';

/**
 * Replaces each requested output that carries `classification: k` (k > 0) by its top-k classes (see classify). An
 * output whose signature has a dynamic first dimension and more than one is ranked per row. `labels` are the
 * model's class labels (its labels file), if any.
 */
export function applyClassification(outputs: readonly Tensor[], request: InferRequest, signature: readonly TensorMetadata[], labels: readonly string[] | undefined): readonly Tensor[] {
  if (!request.outputs?.some((o) => o.parameters?.[PARAMETER] !== undefined)) return outputs;
  return outputs.map((tensor) => {
    const count = request.outputs!.find((o) => o.name === tensor.name)?.parameters?.[PARAMETER];
    if (count === undefined || count === 0 || count === false) return tensor;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: PARAMETER, detail: `the class count of output '${tensor.name}' must be a whole number of classes, ${JSON.stringify(count)} is not` });
    }
    const declared = signature.find((t) => t.name === tensor.name)?.shape ?? tensor.shape;
    return classify(tensor, count, labels, declared.length >= 2 && declared[0] === -1);
  });
}
