import { ferryError } from '../../errors/index.ts';
import type { InputLayout } from '../tabular.ts';

/** model.yaml `options:` this runtime reads (same keys as the other tabular runtimes). */
export interface SklearnOptions {
  readonly file?: string;
  readonly layout: InputLayout;
  readonly maxBatchSize: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 4096;

export function readOptions(model: string, options: Readonly<Record<string, unknown>>): SklearnOptions {
  const bad = (key: string, expected: string): never => {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `options.${key} must be ${expected} (got ${JSON.stringify(options[key])})` });
  };
  const file = options['file'];
  if (file !== undefined && (typeof file !== 'string' || file === '' || file.includes('..'))) bad('file', 'a file name inside the version folder');
  const layout = options['inputs'] ?? 'named';
  if (layout !== 'named' && layout !== 'matrix') bad('inputs', "'named' or 'matrix'");
  const maxBatch = options['max_batch_size'] ?? DEFAULT_MAX_BATCH_SIZE;
  if (typeof maxBatch !== 'number' || !Number.isInteger(maxBatch) || maxBatch < 0) bad('max_batch_size', 'a non-negative integer');
  return { ...(file !== undefined ? { file: file as string } : {}), layout: layout as InputLayout, maxBatchSize: maxBatch as number };
}
