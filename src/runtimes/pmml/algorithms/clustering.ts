import { readArray } from '../dictionary.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { Getter, ModelResult, Value } from '../types.ts';
import { asNumber, valueKey } from '../values.ts';
import { childNamed, childrenNamed } from '../xml.ts';

type Compare = (x: Value, y: Value) => number;

function compareFunction(name: string, scale: number): Compare | undefined {
  switch (name) {
    case 'absDiff':
      return (x, y) => Math.abs((asNumber(x) ?? NaN) - (asNumber(y) ?? NaN));
    case 'gaussSim':
      return (x, y) => {
        const z = (asNumber(x) ?? NaN) - (asNumber(y) ?? NaN);
        return Math.exp((-Math.LN2 * z * z) / (scale * scale));
      };
    case 'delta':
      return (x, y) => (valueKey(x) === valueKey(y) ? 0 : 1);
    case 'equal':
      return (x, y) => (valueKey(x) === valueKey(y) ? 1 : 0);
    default:
      return undefined;
  }
}

export const compileClusteringModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, scope } = env;
  if ((element.attrs['modelClass'] ?? 'centerBased') !== 'centerBased') throw unsupported(element, `modelClass '${element.attrs['modelClass']}' is not supported (only centerBased)`);
  const measure = childNamed(element, 'ComparisonMeasure');
  if (!measure) throw invalid(element, 'ComparisonMeasure is required');
  const kind = measure.attrs['kind'] ?? 'distance';
  const metric = measure.children.find((c) => c.name !== 'Extension');
  if (!metric) throw invalid(measure, 'a measure (euclidean, squaredEuclidean, ...) is required');
  const p = Number(metric.attrs['p-parameter'] ?? '2');
  if (!['euclidean', 'squaredEuclidean', 'cityBlock', 'chebychev', 'minkowski'].includes(metric.name)) {
    throw unsupported(metric, `comparison measure <${metric.name}> is not supported`);
  }
  const defaultCompare = measure.attrs['compareFunction'] ?? 'absDiff';
  const fields = childrenNamed(element, 'ClusteringField').filter((f) => f.attrs['isCenterField'] !== 'false');
  const gets: Getter[] = [];
  const compares: Compare[] = [];
  const weights: number[] = [];
  for (const f of fields) {
    gets.push(scope.require(f.attrs['field'] ?? '', f).get);
    const name = f.attrs['compareFunction'] ?? defaultCompare;
    const compare = compareFunction(name, Number(f.attrs['similarityScale'] ?? 'NaN'));
    if (!compare) throw unsupported(f, `compareFunction '${name}' is not supported`);
    compares.push(compare);
    weights.push(Number(f.attrs['fieldWeight'] ?? '1'));
  }
  const missingWeightsElement = childNamed(element, 'MissingValueWeights');
  const missingWeights = missingWeightsElement ? readArray(childNamed(missingWeightsElement, 'Array') ?? missingWeightsElement).map(Number) : fields.map(() => 1);
  const clusters = childrenNamed(element, 'Cluster').map((c, i) => {
    const array = childNamed(c, 'Array');
    if (!array) throw invalid(c, 'a Cluster needs an Array of center coordinates');
    const center: Value[] = readArray(array).map((t) => (Number.isNaN(Number(t)) ? t : Number(t)));
    if (center.length !== fields.length) throw invalid(array, `center has ${center.length} values for ${fields.length} clustering fields`);
    return { id: c.attrs['id'] ?? String(i + 1), name: c.attrs['name'], center };
  });
  if (clusters.length === 0) throw invalid(element, 'a ClusteringModel needs at least one Cluster');
  const similarity = kind === 'similarity';
  const values: Value[] = new Array(fields.length);

  const measureOf = (center: Value[]): number => {
    let sum = 0;
    let max = 0;
    let present = 0;
    let all = 0;
    for (let i = 0; i < center.length; i++) {
      all += missingWeights[i]!;
      if (values[i] === null) continue;
      present += missingWeights[i]!;
      const c = compares[i]!(values[i]!, center[i]!);
      const w = weights[i]!;
      switch (metric.name) {
        case 'euclidean':
        case 'squaredEuclidean':
          sum += w * c * c;
          break;
        case 'cityBlock':
          sum += w * Math.abs(c);
          break;
        case 'chebychev':
          max = Math.max(max, w * Math.abs(c));
          break;
        default:
          sum += w * Math.pow(Math.abs(c), p);
      }
    }
    // Missing coordinates scale the distance up by the share of weight they carry.
    const adjust = present > 0 && present !== all ? all / present : 1;
    switch (metric.name) {
      case 'euclidean':
        return Math.sqrt(sum * adjust);
      case 'squaredEuclidean':
        return sum * adjust;
      case 'cityBlock':
        return sum * adjust;
      case 'chebychev':
        return max;
      default:
        return Math.pow(sum * adjust, 1 / p);
    }
  };

  return {
    evaluate: (ctx): ModelResult | null => {
      let anyPresent = false;
      for (let i = 0; i < gets.length; i++) {
        values[i] = gets[i]!(ctx);
        if (values[i] !== null) anyPresent = true;
      }
      if (!anyPresent) return null;
      const affinities = new Map<string, number>();
      let best = clusters[0]!;
      let bestScore = similarity ? -Infinity : Infinity;
      for (const cluster of clusters) {
        const score = measureOf(cluster.center);
        affinities.set(valueKey(cluster.id), score);
        if (similarity ? score > bestScore : score < bestScore) {
          bestScore = score;
          best = cluster;
        }
      }
      return { predicted: best.id, entityId: best.id, affinities, ...(best.name !== undefined ? { displayValue: best.name } : {}) };
    },
  };
};
