import { ferryError } from '../../errors/index.ts';
import { at, type CompileContext } from './compile-context.ts';
import { columnTransformer, pipeline } from './compose.ts';
import type { EstimatorNode } from './document.ts';
import { gaussianNB, kMeans } from './bayes-and-clusters.ts';
import { oneHotEncoder, ordinalEncoder } from './encoders.ts';
import type { Step } from './frame.ts';
import { histGradientBoostingClassifier, histGradientBoostingRegressor } from './hist-gradient-boosting.ts';
import { simpleImputer } from './imputer.ts';
import { linearClassifier, linearRegressor } from './linear.ts';
import { kNeighborsClassifier, kNeighborsRegressor } from './neighbors.ts';
import { pca, polynomialFeatures } from './projections.ts';
import { maxAbsScaler, minMaxScaler, normalizer, robustScaler, standardScaler } from './scalers.ts';
import {
  decisionTreeClassifier, decisionTreeRegressor, forestClassifier, forestRegressor, gradientBoostingClassifier,
  gradientBoostingRegressor,
} from './trees.ts';

type Compiler = (node: EstimatorNode, width: number, ctx: CompileContext) => Step;

/** Every estimator type of format version 1 and how it compiles. */
export const COMPILERS: Readonly<Record<string, Compiler>> = {
  Pipeline: (node, width, ctx) => pipeline(node, width, ctx, compileNode),
  ColumnTransformer: (node, width, ctx) => columnTransformer(node, width, ctx, compileNode),
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  MaxAbsScaler: maxAbsScaler,
  Normalizer: normalizer,
  SimpleImputer: simpleImputer,
  OneHotEncoder: oneHotEncoder,
  OrdinalEncoder: ordinalEncoder,
  PolynomialFeatures: polynomialFeatures,
  PCA: pca,
  LogisticRegression: linearClassifier,
  SGDClassifier: linearClassifier,
  LinearSVC: linearClassifier,
  LinearRegression: linearRegressor,
  Ridge: linearRegressor,
  Lasso: linearRegressor,
  ElasticNet: linearRegressor,
  SGDRegressor: linearRegressor,
  LinearSVR: linearRegressor,
  DecisionTreeClassifier: decisionTreeClassifier,
  DecisionTreeRegressor: decisionTreeRegressor,
  RandomForestClassifier: forestClassifier,
  ExtraTreesClassifier: forestClassifier,
  RandomForestRegressor: forestRegressor,
  ExtraTreesRegressor: forestRegressor,
  GradientBoostingClassifier: gradientBoostingClassifier,
  GradientBoostingRegressor: gradientBoostingRegressor,
  HistGradientBoostingClassifier: histGradientBoostingClassifier,
  HistGradientBoostingRegressor: histGradientBoostingRegressor,
  KNeighborsClassifier: kNeighborsClassifier,
  KNeighborsRegressor: kNeighborsRegressor,
  GaussianNB: gaussianNB,
  KMeans: kMeans,
};

export function compileNode(node: EstimatorNode, width: number, ctx: CompileContext): Step {
  const compiler = Object.hasOwn(COMPILERS, node.type) ? COMPILERS[node.type] : undefined;
  if (!compiler) throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', { model: ctx.model, detail: `unknown estimator type '${node.type}' at ${ctx.path}` });
  return compiler(node, width, at(ctx, node.type));
}
