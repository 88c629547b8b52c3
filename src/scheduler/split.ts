import { ferryError } from '../errors/index.ts';
import type { ExecuteResult, ModelSignature } from '../runtimes/runtime.ts';
import { elementCount, type Tensor, type TensorData } from '../tensor/index.ts';

/**
 * Splits a merged result back per request by each request's row count. An output is sliced when its dimension 0
 * equals the merged row count and the signature does not fix that dimension; any other output (a scalar, a
 * per-batch summary) is given to every request as is. Slices are views: no element is copied.
 */
export function splitResult(
  merged: ExecuteResult,
  rowsPerRequest: readonly number[],
  signature: ModelSignature,
  model: string,
): ExecuteResult[] {
  let totalRows = 0;
  for (const rows of rowsPerRequest) totalRows += rows;
  const perRequest: Tensor[][] = rowsPerRequest.map(() => []);
  for (const output of merged.outputs) {
    if (!hasBatchDimension(output, totalRows, signature)) {
      for (const outputs of perRequest) outputs.push(output);
      continue;
    }
    const rowLength = elementCount(output.shape.slice(1));
    if (output.data.length !== totalRows * rowLength) {
      throw ferryError('FERRY_ERR_EXECUTION_FAILED', {
        model,
        detail: `output '${output.name}' has ${output.data.length} elements, its shape [${output.shape.join(',')}] needs ${totalRows * rowLength}`,
      });
    }
    let row = 0;
    rowsPerRequest.forEach((rows, index) => {
      perRequest[index]!.push({
        ...output,
        shape: [rows, ...output.shape.slice(1)],
        data: sliceData(output.data, row * rowLength, (row + rows) * rowLength),
      });
      row += rows;
    });
  }
  return perRequest.map((outputs) => (merged.parameters === undefined ? { outputs } : { outputs, parameters: merged.parameters }));
}

function hasBatchDimension(output: Tensor, totalRows: number, signature: ModelSignature): boolean {
  if (output.shape.length === 0 || output.shape[0] !== totalRows) return false;
  const declared = signature.outputs.find((meta) => meta.name === output.name);
  // A signature that fixes dimension 0 (e.g. [3] class labels) says the output is not per row.
  return declared === undefined || declared.shape.length === 0 || declared.shape[0] === -1;
}

function sliceData(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end);
}
