import { ferryError } from '../errors/index.ts';
import { STAGES, type Stage } from './entities.ts';

/** What a `models:/` URI names: an alias, a stage's newest version, a fixed version, or the newest version. */
export type ModelRef =
  | { readonly model: string; readonly kind: 'alias'; readonly alias: string }
  | { readonly model: string; readonly kind: 'stage'; readonly stage: Stage }
  | { readonly model: string; readonly kind: 'version'; readonly version: number }
  | { readonly model: string; readonly kind: 'latest' };

/** MLflow's model URIs: `models:/name@alias`, `models:/name/Production`, `models:/name/3`, `models:/name/latest`. */
export function parseModelsUri(uri: string): ModelRef {
  const bad = (why: string) => ferryError('FERRY_ERR_REGISTRY_INVALID', { detail: `'${uri.slice(0, 200)}' ${why}; use models:/name@alias, models:/name/Stage or models:/name/N` });
  const match = /^models:\/(?:\/)?([^/@]+)(?:@([^/]+)|\/([^/]+))$/.exec(uri);
  if (!match) throw bad('is not a models:/ URI');
  const model = decodeURIComponent(match[1]!);
  if (match[2] !== undefined) return { model, kind: 'alias', alias: decodeURIComponent(match[2]) };
  const tail = decodeURIComponent(match[3]!);
  if (/^[1-9]\d{0,14}$/.test(tail)) return { model, kind: 'version', version: Number(tail) };
  if (tail.toLowerCase() === 'latest') return { model, kind: 'latest' };
  const stage = STAGES.find((s) => s.toLowerCase() === tail.toLowerCase());
  if (stage && stage !== 'None' && stage !== 'Archived') return { model, kind: 'stage', stage };
  throw bad(`names neither a version nor a stage ('${tail.slice(0, 64)}')`);
}

export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'alias': return `models:/${ref.model}@${ref.alias}`;
    case 'stage': return `models:/${ref.model}/${ref.stage}`;
    case 'version': return `models:/${ref.model}/${ref.version}`;
    case 'latest': return `models:/${ref.model}/latest`;
  }
}
