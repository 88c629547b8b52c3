import type { AlgorithmCompiler, AlgorithmPlan, CompiledModel, ModelEnv, OutputDef } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import { compilePredicate, predicateChild, type Predicate } from '../predicate.ts';
import { Scope } from '../scope.ts';
import type { ModelResult, RowContext, Value } from '../types.ts';
import { asNumber, castValue, valueKey } from '../values.ts';
import { childNamed, childrenNamed } from '../xml.ts';

interface Segment {
  readonly predicate: Predicate;
  readonly weight: number;
  readonly model: CompiledModel;
}

const MODEL_NAMES = new Set([
  'TreeModel', 'RegressionModel', 'GeneralRegressionModel', 'MiningModel', 'NeuralNetwork', 'NaiveBayesModel',
  'SupportVectorMachineModel', 'ClusteringModel', 'Scorecard', 'RuleSetModel', 'NearestNeighborModel',
  'AssociationModel', 'SequenceModel', 'TextModel', 'TimeSeriesModel', 'BayesianNetworkModel', 'GaussianProcessModel',
  'AnomalyDetectionModel',
]);

const REGRESSION_METHODS = new Set(['sum', 'average', 'weightedAverage', 'median', 'weightedMedian', 'max', 'weightedSum']);
const CLASSIFICATION_METHODS = new Set(['average', 'weightedAverage', 'majorityVote', 'weightedMajorityVote', 'max']);

export const compileMiningModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, cc } = env;
  if (element.children.some((c) => c.name === 'Regression' || c.name === 'DecisionTree')) {
    throw unsupported(element.children.find((c) => c.name === 'Regression' || c.name === 'DecisionTree')!, 'PMML 3 embedded models are not supported');
  }
  const segmentation = childNamed(element, 'Segmentation');
  if (!segmentation) throw invalid(element, 'a MiningModel needs a Segmentation');
  const method = segmentation.attrs['multipleModelMethod'] ?? '';
  const treatment = segmentation.attrs['missingPredictionTreatment'] ?? 'continue';
  if (!['returnMissing', 'skipSegment', 'continue'].includes(treatment)) throw unsupported(segmentation, `missingPredictionTreatment '${treatment}' is not supported`);
  const missingThreshold = Number(segmentation.attrs['missingThreshold'] ?? '1');
  const chain = method === 'modelChain';
  let scope = env.scope;
  const segments: Segment[] = [];
  for (const segmentElement of childrenNamed(segmentation, 'Segment')) {
    const modelElement = segmentElement.children.find((c) => MODEL_NAMES.has(c.name));
    if (!modelElement) throw invalid(segmentElement, 'a Segment needs a model');
    const predicate = compilePredicate(predicateChild(segmentElement), scope);
    const model = cc.compileNested(modelElement, scope, env.floatMath);
    segments.push({ predicate, weight: Number(segmentElement.attrs['weight'] ?? '1'), model });
    if (chain) {
      // Later segments of a chain see the output fields of earlier ones.
      const next = new Scope(scope);
      for (const output of model.outputs) next.define(output);
      scope = next;
    }
  }
  if (segments.length === 0) throw invalid(segmentation, 'a Segmentation needs at least one Segment');

  if (method === 'modelChain') return compileChain(segments);
  if (method === 'selectFirst') {
    const selected = (ctx: RowContext): Segment | undefined => segments.find((s) => s.predicate(ctx) === true);
    return {
      evaluate: (ctx) => selected(ctx)?.model.result(ctx) ?? null,
      chainOutputs: selectedOutputs(segments, selected),
    };
  }
  if (method === 'selectAll') throw unsupported(segmentation, "multipleModelMethod 'selectAll' returns one result per segment, which a tensor signature cannot carry; use selectFirst or an aggregate");

  const collect = (ctx: RowContext): { results: { result: ModelResult; weight: number }[] } | null => {
    const results: { result: ModelResult; weight: number }[] = [];
    let missing = 0;
    let considered = 0;
    for (const s of segments) {
      if (s.predicate(ctx) !== true) continue;
      considered++;
      const r = s.model.result(ctx);
      if (r === null || r.predicted === null) {
        if (treatment === 'returnMissing') return null;
        missing++;
        continue;
      }
      results.push({ result: r, weight: s.weight });
    }
    if (considered > 0 && missing / considered >= missingThreshold && missing > 0) return null;
    return { results };
  };

  if (env.functionName === 'regression') {
    if (!REGRESSION_METHODS.has(method)) throw unsupported(segmentation, `multipleModelMethod '${method}' is not supported for regression`);
    const combine = regressionCombiner(method, env.floatMath);
    return {
      evaluate: (ctx) => {
        const collected = collect(ctx);
        if (!collected || collected.results.length === 0) return null;
        const values = collected.results.map((r) => asNumber(r.result.predicted) ?? NaN);
        const weights = collected.results.map((r) => r.weight);
        return { predicted: combine(values, weights) };
      },
    };
  }
  if (!CLASSIFICATION_METHODS.has(method)) throw unsupported(segmentation, `multipleModelMethod '${method}' is not supported for ${env.functionName}`);
  if (env.floatMath) throw unsupported(segmentation, `multipleModelMethod '${method}' of a ${env.functionName} MiningModel has no float arithmetic (x-mathContext="float"); modelChain and selectFirst have`);
  const targetType = env.target?.dataType ?? 'string';
  const known = new Map<string, Value>();
  for (const c of env.target?.categories ?? []) known.set(valueKey(c), c);
  const categoryOf = (key: string): Value => known.get(key) ?? castValue(key, targetType) ?? key;
  return {
    evaluate: (ctx) => {
      const collected = collect(ctx);
      if (!collected || collected.results.length === 0) return null;
      return combineClassification(method, collected.results, categoryOf);
    },
  };
};

function compileChain(segments: readonly Segment[]): AlgorithmPlan {
  const last = segments[segments.length - 1]!.model;
  const chainOutputs: OutputDef[] = last.exposedOutputs.filter((o) => o.isFinal);
  return {
    evaluate: (ctx) => {
      let result: ModelResult | null = null;
      for (const s of segments) {
        if (s.predicate(ctx) !== true) continue;
        result = s.model.result(ctx);
      }
      return result;
    },
    chainOutputs,
  };
}

/** selectFirst answers with the chosen segment's output fields: one binding per name, read from that segment. */
function selectedOutputs(segments: readonly Segment[], selected: (ctx: RowContext) => Segment | undefined): OutputDef[] {
  const byName = new Map<string, OutputDef>();
  for (const s of segments) for (const o of s.model.exposedOutputs) if (o.isFinal && !byName.has(o.name)) byName.set(o.name, o);
  return [...byName.values()].map((first) => ({
    ...first,
    get: (ctx: RowContext) => selected(ctx)?.model.exposedOutputs.find((o) => o.name === first.name)?.get(ctx) ?? null,
  }));
}

/**
 * Combines segment predictions. In float arithmetic (x-mathContext="float") every operand and result is a float32,
 * as JPMML's FloatVector sums: `sum += float(weight) * value`, from 0, in segment order.
 */
function regressionCombiner(method: string, floatMath: boolean): (values: number[], weights: number[]) => number {
  const round = floatMath ? Math.fround : (v: number) => v;
  const sum = (values: readonly number[]) => values.reduce((a, b) => round(a + round(b)), 0);
  const weightedSum = (values: readonly number[], weights: readonly number[]) => values.reduce((a, b, i) => round(a + round(round(weights[i]!) * round(b))), 0);
  switch (method) {
    case 'sum':
      return sum;
    case 'weightedSum':
      return weightedSum;
    case 'average':
      return (values) => round(sum(values) / values.length);
    case 'weightedAverage':
      return (values, weights) => round(weightedSum(values, weights) / sum(weights));
    case 'median':
      return (values) => {
        const s = [...values].sort((a, b) => a - b);
        const mid = s.length >> 1;
        return s.length % 2 === 1 ? s[mid]! : round(round(s[mid - 1]! + s[mid]!) / 2);
      };
    case 'weightedMedian':
      return (values, weights) => {
        const order = values.map((v, i) => ({ v, w: weights[i]! })).sort((a, b) => a.v - b.v);
        const half = order.reduce((a, b) => a + b.w, 0) / 2;
        let cumulative = 0;
        for (const { v, w } of order) {
          cumulative += w;
          if (cumulative >= half) return v;
        }
        return order[order.length - 1]!.v;
      };
    default:
      return (values) => Math.max(...values);
  }
}

function combineClassification(method: string, results: readonly { result: ModelResult; weight: number }[], categoryOf: (key: string) => Value): ModelResult {
  const totals = new Map<string, number>();
  let totalWeight = 0;
  const add = (key: string, amount: number): void => {
    totals.set(key, (totals.get(key) ?? 0) + amount);
  };
  if (method === 'majorityVote' || method === 'weightedMajorityVote') {
    for (const { result, weight } of results) {
      const w = method === 'majorityVote' ? 1 : weight;
      add(valueKey(result.predicted), w);
      totalWeight += w;
    }
  } else if (method === 'max') {
    // The winning category is the one some segment gives the highest probability.
    for (const { result } of results) {
      for (const [k, p] of result.probabilities ?? new Map([[valueKey(result.predicted), 1]])) {
        if (p > (totals.get(k) ?? -1)) totals.set(k, p);
      }
    }
    totalWeight = 1;
  } else {
    for (const { result, weight } of results) {
      const w = method === 'average' ? 1 : weight;
      const probabilities = result.probabilities ?? new Map([[valueKey(result.predicted), 1]]);
      for (const [k, p] of probabilities) add(k, p * w);
      totalWeight += w;
    }
  }
  const probabilities = new Map<string, number>();
  let best: string | undefined;
  for (const [k, v] of totals) {
    probabilities.set(k, method === 'max' ? v : v / totalWeight);
    if (best === undefined || v > totals.get(best)!) best = k;
  }
  return { predicted: best === undefined ? null : categoryOf(best), probabilities };
}
