import { ferryError } from '../errors/index.ts';
import type { InputLayout } from './tabular.ts';

/** The model.yaml `options:` keys every tabular runtime reads, as given (no runtime defaults applied but the batch size). */
export interface TabularOptions {
  /** Model file inside the version folder. */
  readonly file?: string;
  /** `inputs:`: named per-feature inputs or one matrix input. */
  readonly layout?: InputLayout;
  readonly maxBatchSize: number;
}

/** Throws the load error for a bad option value, naming the key, what it must be and what was given. */
export function badOption(model: string, options: Readonly<Record<string, unknown>>, key: string, expected: string): never {
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `options.${key} must be ${expected} (got ${JSON.stringify(options[key])})` });
}

/** Validates `file`, `inputs` and `max_batch_size` (in that order); `max_batch_size` defaults to `defaultMaxBatchSize`. */
export function readTabularOptions(model: string, options: Readonly<Record<string, unknown>>, defaultMaxBatchSize: number): TabularOptions {
  const file = options['file'];
  // Where the file may be is checked where it is opened (resolveModelFile), with the rule every runtime shares.
  if (file !== undefined && (typeof file !== 'string' || file === '')) badOption(model, options, 'file', 'a file name inside the version folder');
  const layout = options['inputs'];
  if (layout !== undefined && layout !== 'named' && layout !== 'matrix') badOption(model, options, 'inputs', "'named' or 'matrix'");
  const maxBatch = options['max_batch_size'] ?? defaultMaxBatchSize;
  if (!isCount(maxBatch)) badOption(model, options, 'max_batch_size', 'a non-negative integer');
  return {
    ...(file !== undefined ? { file: file as string } : {}),
    ...(layout !== undefined ? { layout: layout as InputLayout } : {}),
    maxBatchSize: maxBatch,
  };
}

/** A non-negative integer. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
