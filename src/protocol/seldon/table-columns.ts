import { ferryError } from '../../errors/index.ts';
import type { Tensor } from '../../tensor/index.ts';

/** A SeldonMessage's column names for one output: `name` (1-D, or one column), `name:i` (2-D), none beyond. */
export function columnNames(tensor: Tensor): string[] {
  if (tensor.shape.length === 2 && tensor.shape[1] !== 1) return Array.from({ length: tensor.shape[1]! }, (_, i) => `${tensor.name}:${i}`);
  return tensor.shape.length <= 2 ? [tensor.name] : [];
}

/**
 * The rows of the one table several outputs make (each 1-D or 2-D, all with the same rows), as REST and gRPC
 * answer them; outputs that do not make one table are refused.
 */
export function tableRowCount(model: string, outputs: readonly Tensor[]): number {
  const rows = outputs[0]!.shape[0]!;
  for (const t of outputs) {
    if (t.shape.length < 1 || t.shape.length > 2 || t.shape[0] !== rows) {
      throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
        model, detail: `outputs ${outputs.map((o) => `${o.name} [${o.shape.join(',')}]`).join(', ')} do not make one table (1-D or 2-D with the same rows); use the V2 protocol`,
      });
    }
  }
  return rows;
}
