import { readArray } from '../dictionary.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { Getter, ModelResult, Value } from '../types.ts';
import { asNumber, castValue, valueKey } from '../values.ts';
import { childNamed, childrenNamed, type XmlElement } from '../xml.ts';

type Kernel = (x: Float64Array, y: Float64Array) => number;

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

function kernelOf(element: XmlElement): Kernel {
  const kernel = element.children.find((c) => c.name.endsWith('KernelType'));
  if (!kernel) throw invalid(element, 'a kernel type is required');
  const gamma = Number(kernel.attrs['gamma'] ?? '1');
  const coef0 = Number(kernel.attrs['coef0'] ?? '1');
  const degree = Number(kernel.attrs['degree'] ?? '1');
  switch (kernel.name) {
    case 'LinearKernelType':
      return dot;
    case 'PolynomialKernelType':
      return (x, y) => Math.pow(gamma * dot(x, y) + coef0, degree);
    case 'RadialBasisKernelType':
      return (x, y) => {
        let d = 0;
        for (let i = 0; i < x.length; i++) {
          const diff = x[i]! - y[i]!;
          d += diff * diff;
        }
        return Math.exp(-gamma * d);
      };
    case 'SigmoidKernelType':
      return (x, y) => Math.tanh(gamma * dot(x, y) + coef0);
    default:
      throw unsupported(kernel, `<${kernel.name}> is not supported`);
  }
}

function readVector(instance: XmlElement, size: number): Float64Array {
  const vector = new Float64Array(size);
  const sparse = childNamed(instance, 'REAL-SparseArray') ?? childNamed(instance, 'INT-SparseArray');
  if (sparse) {
    const indices = childNamed(sparse, 'Indices');
    const entries = childNamed(sparse, 'REAL-Entries') ?? childNamed(sparse, 'INT-Entries');
    const is = indices ? readArray(indices).map(Number) : [];
    const es = entries ? readArray(entries).map(Number) : [];
    is.forEach((index, k) => {
      if (index < 1 || index > size) throw invalid(sparse, `index ${index} is outside 1..${size}`);
      vector[index - 1] = es[k]!;
    });
    return vector;
  }
  const array = childNamed(instance, 'Array');
  if (!array) throw invalid(instance, 'a VectorInstance needs a REAL-SparseArray or an Array');
  const values = readArray(array).map(Number);
  if (values.length !== size) throw invalid(array, `vector has ${values.length} values for ${size} fields`);
  vector.set(values);
  return vector;
}

interface Machine {
  readonly evaluate: (x: Float64Array) => number;
  readonly target: Value;
  readonly alternate: Value;
  readonly threshold: number;
}

export const compileSupportVectorMachineModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, scope } = env;
  const representation = element.attrs['svmRepresentation'] ?? 'SupportVectors';
  const dictionary = childNamed(element, 'VectorDictionary');
  if (!dictionary) throw invalid(element, 'VectorDictionary is required');
  const fieldsElement = childNamed(dictionary, 'VectorFields');
  if (!fieldsElement) throw invalid(dictionary, 'VectorFields is required');
  const gets: Getter[] = fieldsElement.children.filter((c) => c.name !== 'Extension').map((c) => {
    if (c.name !== 'FieldRef') throw unsupported(c, `<${c.name}> in VectorFields is not supported`);
    return scope.require(c.attrs['field'] ?? '', c).get;
  });
  const size = gets.length;
  const vectors = new Map<string, Float64Array>();
  for (const instance of childrenNamed(dictionary, 'VectorInstance')) vectors.set(instance.attrs['id'] ?? '', readVector(instance, size));
  const kernel = representation === 'SupportVectors' ? kernelOf(element) : dot;
  const targetType = env.target?.dataType ?? 'string';
  const category = (text: string | undefined): Value => (text === undefined ? null : castValue(text, targetType) ?? text);
  const modelThreshold = Number(element.attrs['threshold'] ?? '0');
  const binaryAlternate = category(element.attrs['alternateBinaryTargetCategory']);

  const machines: Machine[] = childrenNamed(element, 'SupportVectorMachine').map((m) => {
    const coefficientsElement = childNamed(m, 'Coefficients');
    if (!coefficientsElement) throw invalid(m, 'Coefficients is required');
    const b = Number(coefficientsElement.attrs['absoluteValue'] ?? '0');
    const coefficients = Float64Array.from(childrenNamed(coefficientsElement, 'Coefficient'), (c) => Number(c.attrs['value'] ?? '0'));
    let evaluate: (x: Float64Array) => number;
    if (representation === 'Coefficients') {
      if (coefficients.length !== size) throw invalid(coefficientsElement, `${coefficients.length} coefficients for ${size} vector fields`);
      evaluate = (x) => dot(x, coefficients) + b;
    } else {
      const supportElement = childNamed(m, 'SupportVectors');
      const support = (supportElement ? childrenNamed(supportElement, 'SupportVector') : []).map((sv) => {
        const vector = vectors.get(sv.attrs['vectorId'] ?? '');
        if (!vector) throw invalid(sv, `vectorId '${sv.attrs['vectorId']}' is not in the VectorDictionary`);
        return vector;
      });
      if (support.length !== coefficients.length) throw invalid(m, `${support.length} support vectors but ${coefficients.length} coefficients`);
      evaluate = (x) => {
        let s = b;
        for (let i = 0; i < support.length; i++) s += coefficients[i]! * kernel(x, support[i]!);
        return s;
      };
    }
    return {
      evaluate,
      target: category(m.attrs['targetCategory']),
      alternate: category(m.attrs['alternateTargetCategory']) ?? binaryAlternate,
      threshold: Number(m.attrs['threshold'] ?? modelThreshold),
    };
  });
  if (machines.length === 0) throw invalid(element, 'at least one SupportVectorMachine is required');
  const x = new Float64Array(size);
  const read = (ctx: Parameters<Getter>[0]): boolean => {
    for (let i = 0; i < size; i++) {
      const v = asNumber(gets[i]!(ctx));
      if (v === null) return false;
      x[i] = v;
    }
    return true;
  };

  if (env.functionName === 'regression') {
    const machine = machines[0]!;
    return { evaluate: (ctx) => (read(ctx) ? { predicted: machine.evaluate(x) } : null) };
  }
  const maxWins = element.attrs['maxWins'] === 'true';
  const method = element.attrs['classificationMethod'] ?? 'OneAgainstAll';
  if (method !== 'OneAgainstAll' && method !== 'OneAgainstOne') throw unsupported(element, `classificationMethod '${method}' is not supported`);
  const pairwise = method === 'OneAgainstOne' || (machines.length === 1 && machines[0]!.alternate !== null);
  if (pairwise && machines.some((m) => m.alternate === null)) throw invalid(element, 'OneAgainstOne machines need alternateTargetCategory');

  return {
    evaluate: (ctx): ModelResult | null => {
      if (!read(ctx)) return null;
      if (pairwise) {
        const votes = new Map<string, { value: Value; count: number }>();
        for (const m of machines) {
          const f = m.evaluate(x);
          const winner = (maxWins ? f > m.threshold : f < m.threshold) ? m.target : m.alternate;
          const key = valueKey(winner);
          const entry = votes.get(key) ?? { value: winner, count: 0 };
          entry.count++;
          votes.set(key, entry);
        }
        let best: { value: Value; count: number } | undefined;
        for (const entry of votes.values()) if (!best || entry.count > best.count) best = entry;
        const total = machines.length;
        return { predicted: best!.value, probabilities: new Map([...votes].map(([k, e]) => [k, e.count / total])) };
      }
      const affinities = new Map<string, number>();
      let best: Machine | undefined;
      let bestValue = 0;
      for (const m of machines) {
        const f = m.evaluate(x);
        affinities.set(valueKey(m.target), f);
        if (!best || (maxWins ? f > bestValue : f < bestValue)) {
          best = m;
          bestValue = f;
        }
      }
      return { predicted: best!.target, affinities };
    },
  };
};
