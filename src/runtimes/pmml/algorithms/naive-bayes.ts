import { compileDerivedField } from '../expression.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { Getter, ModelResult, RowContext, Value } from '../types.ts';
import { asNumber, castValue, valueKey } from '../values.ts';
import { childNamed, childrenNamed, type XmlElement } from '../xml.ts';

/** Per-category likelihood of one input for the current row; undefined when the input is skipped. */
type Likelihood = (ctx: RowContext) => Float64Array | undefined;

function readCounts(container: XmlElement | undefined, keys: ReadonlyMap<string, number>, from: XmlElement): Float64Array {
  const counts = new Float64Array(keys.size);
  if (!container) throw invalid(from, 'TargetValueCounts is required');
  for (const tvc of childrenNamed(container, 'TargetValueCount')) {
    const i = keys.get(valueKey(tvc.attrs['value'] ?? ''));
    if (i === undefined) throw invalid(tvc, `target value '${tvc.attrs['value']}' is not in BayesOutput`);
    counts[i] = Number(tvc.attrs['count'] ?? '0');
  }
  return counts;
}

export const compileNaiveBayesModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, scope, cc } = env;
  const threshold = Number(element.attrs['threshold'] ?? 'NaN');
  if (Number.isNaN(threshold)) throw invalid(element, 'threshold is required');
  const outputElement = childNamed(element, 'BayesOutput');
  if (!outputElement) throw invalid(element, 'BayesOutput is required');
  const targetType = env.target?.dataType ?? 'string';
  const priorContainer = childNamed(outputElement, 'TargetValueCounts');
  if (!priorContainer) throw invalid(outputElement, 'TargetValueCounts is required');
  const categories: Value[] = childrenNamed(priorContainer, 'TargetValueCount').map((t) => castValue(t.attrs['value'] ?? '', targetType) ?? t.attrs['value'] ?? '');
  const keys = new Map(categories.map((c, i) => [valueKey(c), i] as const));
  const priors = readCounts(priorContainer, keys, outputElement);
  const n = categories.length;

  const inputsElement = childNamed(element, 'BayesInputs');
  const likelihoods: Likelihood[] = [];
  for (const input of inputsElement ? childrenNamed(inputsElement, 'BayesInput') : []) {
    const name = input.attrs['fieldName'] ?? '';
    const derived = childNamed(input, 'DerivedField');
    const get: Getter = derived ? compileDerivedField(derived, scope, cc.slots, `${name} (BayesInput)`).get : scope.require(name, input).get;
    const stats = childNamed(input, 'TargetValueStats');
    if (stats) {
      likelihoods.push(compileStats(stats, get, keys, n, threshold));
      continue;
    }
    const table = new Map<string, Float64Array>();
    for (const pair of childrenNamed(input, 'PairCounts')) {
      table.set(valueKey(pair.attrs['value'] ?? ''), readCounts(childNamed(pair, 'TargetValueCounts'), keys, pair));
    }
    // P(x | class) divides by the class's count within this input (rows where the input was present).
    const totals = new Float64Array(n);
    for (const counts of table.values()) for (let j = 0; j < n; j++) totals[j]! += counts[j]!;
    const probabilities = new Float64Array(n);
    likelihoods.push((ctx) => {
      const v = get(ctx);
      if (v === null) return undefined;
      const counts = table.get(valueKey(v));
      if (!counts) return undefined;
      for (let j = 0; j < n; j++) {
        const p = totals[j]! > 0 ? counts[j]! / totals[j]! : 0;
        probabilities[j] = p < threshold || p === 0 ? threshold : p;
      }
      return probabilities;
    });
  }

  return {
    evaluate: (ctx): ModelResult | null => {
      const scores = Float64Array.from(priors);
      for (const likelihood of likelihoods) {
        const ps = likelihood(ctx);
        if (!ps) continue;
        for (let j = 0; j < n; j++) scores[j]! *= ps[j]!;
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += scores[j]!;
      const probabilities = new Map<string, number>();
      let best = 0;
      for (let j = 0; j < n; j++) {
        probabilities.set(valueKey(categories[j]!), scores[j]! / sum);
        if (scores[j]! > scores[best]!) best = j;
      }
      return { predicted: categories[best]!, probabilities };
    },
  };
};

function compileStats(stats: XmlElement, get: Getter, keys: ReadonlyMap<string, number>, n: number, threshold: number): Likelihood {
  const densities: ((x: number) => number)[] = new Array(n).fill(() => threshold);
  for (const stat of childrenNamed(stats, 'TargetValueStat')) {
    const j = keys.get(valueKey(stat.attrs['value'] ?? ''));
    if (j === undefined) throw invalid(stat, `target value '${stat.attrs['value']}' is not in BayesOutput`);
    const distribution = stat.children.find((c) => c.name !== 'Extension');
    if (!distribution) throw invalid(stat, 'a distribution is required');
    if (distribution.name === 'GaussianDistribution') {
      const mean = Number(distribution.attrs['mean']);
      const variance = Number(distribution.attrs['variance']);
      densities[j] = (x) => Math.exp(-((x - mean) * (x - mean)) / (2 * variance)) / Math.sqrt(2 * Math.PI * variance);
    } else if (distribution.name === 'PoissonDistribution') {
      const mean = Number(distribution.attrs['mean']);
      densities[j] = (x) => Math.exp(-mean + x * Math.log(mean) - logFactorial(x));
    } else throw unsupported(distribution, `<${distribution.name}> is not supported in NaiveBayes`);
  }
  const probabilities = new Float64Array(n);
  return (ctx) => {
    const x = asNumber(get(ctx));
    if (x === null) return undefined;
    for (let j = 0; j < n; j++) {
      const p = densities[j]!(x);
      probabilities[j] = p < threshold || p === 0 ? threshold : p;
    }
    return probabilities;
  };
}

function logFactorial(x: number): number {
  let sum = 0;
  for (let k = 2; k <= x; k++) sum += Math.log(k);
  return sum;
}
