import { ferryError } from '../../errors/index.ts';

/**
 * LightGBM's ConvertOutput per objective, in float64 as LightGBM computes it. A missing objective line means a
 * custom objective: the prediction is the raw score.
 */
export type LgbLink =
  | { readonly kind: 'identity' }
  | { readonly kind: 'sqrt' }
  | { readonly kind: 'exp' }
  | { readonly kind: 'log1p_exp' }
  | { readonly kind: 'sigmoid'; readonly scale: number }
  | { readonly kind: 'softmax' }
  | { readonly kind: 'ova'; readonly scale: number };

export interface LgbObjective {
  readonly name: string;
  readonly link: LgbLink;
  readonly classification: boolean;
}

const IDENTITY_OBJECTIVES = new Set([
  'regression', 'regression_l2', 'l2', 'mean_squared_error', 'mse', 'l2_root', 'root_mean_squared_error', 'rmse',
  'regression_l1', 'l1', 'mean_absolute_error', 'mae', 'huber', 'fair', 'quantile', 'mape', 'mean_absolute_percentage_error',
  'lambdarank', 'rank_xendcg', 'xendcg', 'xe_ndcg', 'xe_ndcg_mart', 'xendcg_mart', 'custom', 'none', 'null', 'na',
]);

export function lgbObjective(model: string, line: string | undefined): LgbObjective {
  if (line === undefined) return { name: 'custom', link: { kind: 'identity' }, classification: false };
  const [name = '', ...rest] = line.split(' ').filter((s) => s !== '');
  const params = new Map(rest.map((p) => [p.split(':')[0]!, p.slice(p.indexOf(':') + 1)]));
  const sqrt = rest.includes('sqrt');
  const scale = Number(params.get('sigmoid') ?? '1');
  if (IDENTITY_OBJECTIVES.has(name)) return { name, link: { kind: sqrt ? 'sqrt' : 'identity' }, classification: false };
  switch (name) {
    case 'binary': return { name, link: { kind: 'sigmoid', scale }, classification: true };
    case 'cross_entropy': case 'xentropy': return { name, link: { kind: 'sigmoid', scale: 1 }, classification: true };
    case 'cross_entropy_lambda': case 'xentlambda': return { name, link: { kind: 'log1p_exp' }, classification: false };
    case 'multiclass': case 'softmax': return { name, link: { kind: 'softmax' }, classification: true };
    case 'multiclassova': case 'multiclass_ova': case 'ova': case 'ovr': return { name, link: { kind: 'ova', scale }, classification: true };
    case 'poisson': case 'gamma': case 'tweedie': return { name, link: { kind: 'exp' }, classification: false };
    default:
      throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model, detail: `LightGBM objective '${name}' is not supported` });
  }
}
