import { badOption, isCount, readTabularOptions, refuseUnknownOptions, TABULAR_OPTIONS } from '../options.ts';
import type { InputLayout } from '../tabular.ts';

/** Options shared by the tree runtimes (model.yaml `options:`), validated at load with errors naming the key. */
export interface TreeOptions {
  /** Model file inside the version folder; default: the runtime's usual name or the one file of its format. */
  readonly file?: string;
  readonly layout?: InputLayout;
  /** Boosting iterations to use, [begin, end); undefined = the model's own default. */
  readonly iterations?: { readonly begin: number; readonly end: number };
  readonly maxBatchSize: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 8192;

/** The `options:` keys the tree runtimes read. */
export const TREE_OPTIONS = [...TABULAR_OPTIONS, 'num_iteration', 'iteration_range'] as const;

/** Reads the tree options of `runtime` (named in the error for a key it does not read). */
export function readTreeOptions(model: string, runtime: string, options: Readonly<Record<string, unknown>>): TreeOptions {
  refuseUnknownOptions(model, runtime, options, TREE_OPTIONS);
  const bad = (key: string, expected: string): never => badOption(model, options, key, expected);
  const common = readTabularOptions(model, options, DEFAULT_MAX_BATCH_SIZE);

  let iterations: TreeOptions['iterations'];
  const num = options['num_iteration'];
  const range = options['iteration_range'];
  if (num !== undefined && range !== undefined) bad('num_iteration', 'absent when iteration_range is given');
  if (num !== undefined) {
    if (!isCount(num) || num === 0) bad('num_iteration', 'a positive integer');
    iterations = { begin: 0, end: num as number };
  }
  if (range !== undefined) {
    if (!Array.isArray(range) || range.length !== 2 || !isCount(range[0]) || !isCount(range[1]) || range[1] <= range[0]) {
      bad('iteration_range', '[begin, end] with 0 <= begin < end');
    }
    iterations = { begin: (range as number[])[0]!, end: (range as number[])[1]! };
  }
  return { ...common, ...(iterations ? { iterations } : {}) };
}
