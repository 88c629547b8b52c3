import { readTabularOptions, refuseUnknownOptions, TABULAR_OPTIONS } from '../options.ts';
import type { InputLayout } from '../tabular.ts';

/** model.yaml `options:` this runtime reads (same keys as the other tabular runtimes). */
export interface SklearnOptions {
  readonly file?: string;
  readonly layout: InputLayout;
  readonly maxBatchSize: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 4096;

export function readOptions(model: string, options: Readonly<Record<string, unknown>>): SklearnOptions {
  refuseUnknownOptions(model, 'sklearn', options, TABULAR_OPTIONS);
  const common = readTabularOptions(model, options, DEFAULT_MAX_BATCH_SIZE);
  return { ...common, layout: common.layout ?? 'named' };
}
