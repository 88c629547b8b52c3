import { ferryError } from '../errors/index.ts';
import { decodeJsonData, isDatatype, type InferRequest, type Tensor } from '../tensor/index.ts';

const MAX_ELEMENTS = 1_000_000;

/**
 * A version's input example — V2 JSON inputs, `{"inputs": [{"name", "datatype", "shape", "data"}]}` — as the
 * request that warms a freshly loaded version up. Bounded: an example is a few rows, not a data set.
 */
export function warmupRequest(model: string, example: unknown): InferRequest | undefined {
  if (example === null || example === undefined) return undefined;
  const bad = (detail: string) => ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `input example: ${detail}` });
  const inputs = (example as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad('needs {"inputs": [{"name", "datatype", "shape", "data"}, ...]}');
  const tensors: Tensor[] = inputs.map((input: unknown, i) => {
    const { name, datatype, shape, data } = (input ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !isDatatype(datatype)) throw bad(`input ${i} needs a name and a V2 datatype`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`input '${name}' needs a shape of non-negative integers`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements > MAX_ELEMENTS) throw bad(`input '${name}' has more than ${MAX_ELEMENTS} elements`);
    return { name, datatype, shape: shape as number[], data: decodeJsonData(name, datatype, shape as number[], data) };
  });
  return { inputs: tensors };
}
