import { didYouMean, ferryError } from '../errors/index.ts';
import type { InputLayout } from './tabular.ts';

/** The model.yaml `options:` keys every tabular runtime reads, as given (no runtime defaults applied but the batch size). */
export interface TabularOptions {
  /** Model file inside the version folder. */
  readonly file?: string;
  /** `inputs:`: named per-feature inputs or one matrix input. */
  readonly layout?: InputLayout;
  readonly maxBatchSize: number;
}

/** The `options:` keys every tabular runtime reads. */
export const TABULAR_OPTIONS = ['file', 'inputs', 'max_batch_size'] as const;

/**
 * Refuses `options:` keys the runtime does not read, naming the closest one and all it reads: a misspelt key would
 * otherwise be ignored and the model served with a default nobody chose.
 */
export function refuseUnknownOptions(model: string, runtime: string, options: Readonly<Record<string, unknown>>, reads: readonly string[]): void {
  const unknown = Object.keys(options).find((key) => !reads.includes(key));
  if (unknown === undefined) return;
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
    model,
    detail: `options.${unknown} is not an option of the ${runtime} runtime${didYouMean(unknown, reads)}; it reads ${reads.join(' | ')}`,
  });
}

/** Throws the load error for an option outside its allowed words, naming them all and what was given. */
export function badChoice(model: string, options: Readonly<Record<string, unknown>>, key: string, allowed: readonly string[]): never {
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `options.${key}: expected ${allowed.join(' | ')} (got ${JSON.stringify(options[key])})` });
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
  if (layout !== undefined && layout !== 'named' && layout !== 'matrix') badChoice(model, options, 'inputs', ['named', 'matrix']);
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
