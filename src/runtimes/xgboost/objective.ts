/**
 * What each XGBoost objective means at prediction time: how the stored base_score becomes a margin
 * (ProbToMargin), how margins become outputs (PredTransform), and whether the model is a classifier.
 * XGBoost stores base_score in output space (a probability for logistic, a mean for log-link models) in 1.x,
 * 2.x and 3.x alike; 3.x writes it as a vector ('[2.35E-1]' or one value per target/class).
 */
export type Link = 'identity' | 'sigmoid' | 'exp' | 'hinge' | 'softmax';

export interface ObjectiveInfo {
  readonly name: string;
  readonly link: Link;
  /** base_score (output space) → margin, in float32 like XGBoost. */
  readonly baseMargin: (baseScore: number) => number;
  readonly kind: 'regression' | 'binary' | 'multiclass';
}

const f32 = Math.fround;
const identity = (b: number): number => f32(b);
const logit = (b: number): number => f32(-Math.log(f32(f32(1 / f32(b)) - 1)));
const log = (b: number): number => f32(Math.log(f32(b)));

const TABLE: Readonly<Record<string, Omit<ObjectiveInfo, 'name'>>> = {
  'binary:logistic': { link: 'sigmoid', baseMargin: logit, kind: 'binary' },
  // logitraw keeps base_score as a margin (LogisticRaw has no ProbToMargin: checked against xgboost 1.7)
  'binary:logitraw': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'binary:hinge': { link: 'hinge', baseMargin: identity, kind: 'binary' },
  'reg:logistic': { link: 'sigmoid', baseMargin: logit, kind: 'regression' },
  'reg:squarederror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:linear': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:squaredlogerror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:pseudohubererror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:absoluteerror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:quantileerror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'reg:expectileerror': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'count:poisson': { link: 'exp', baseMargin: log, kind: 'regression' },
  'reg:gamma': { link: 'exp', baseMargin: log, kind: 'regression' },
  'reg:tweedie': { link: 'exp', baseMargin: log, kind: 'regression' },
  'survival:aft': { link: 'exp', baseMargin: log, kind: 'regression' },
  'survival:cox': { link: 'exp', baseMargin: log, kind: 'regression' },
  'multi:softprob': { link: 'softmax', baseMargin: identity, kind: 'multiclass' },
  'multi:softmax': { link: 'softmax', baseMargin: identity, kind: 'multiclass' },
  'rank:pairwise': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'rank:ndcg': { link: 'identity', baseMargin: identity, kind: 'regression' },
  'rank:map': { link: 'identity', baseMargin: identity, kind: 'regression' },
};

export function objectiveInfo(name: string): ObjectiveInfo | undefined {
  const entry = TABLE[name];
  return entry ? { name, ...entry } : undefined;
}

export const SUPPORTED_OBJECTIVES: readonly string[] = Object.keys(TABLE);
