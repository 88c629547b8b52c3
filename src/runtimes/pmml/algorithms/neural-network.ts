import { compileDerivedField, expressionChild } from '../expression.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { Getter, ModelResult, Value } from '../types.ts';
import { asNumber, castValue, valueKey } from '../values.ts';
import { childNamed, childrenNamed, type XmlElement } from '../xml.ts';

type Activation = (z: number) => number;

function activationOf(name: string, threshold: number, element: XmlElement): Activation {
  switch (name) {
    case 'threshold':
      return (z) => (z > threshold ? 1 : 0);
    case 'logistic':
      return (z) => 1 / (1 + Math.exp(-z));
    case 'tanh':
      return Math.tanh;
    case 'identity':
      return (z) => z;
    case 'exponential':
      return Math.exp;
    case 'reciprocal':
      return (z) => 1 / z;
    case 'square':
      return (z) => z * z;
    case 'Gauss':
      return (z) => Math.exp(-(z * z));
    case 'sine':
      return Math.sin;
    case 'cosine':
      return Math.cos;
    case 'Elliott':
      return (z) => z / (1 + Math.abs(z));
    case 'arctan':
      return (z) => (2 * Math.atan(z)) / Math.PI;
    case 'rectifier':
      return (z) => Math.max(0, z);
    default:
      throw unsupported(element, `activationFunction '${name}' is not supported`);
  }
}

interface Neuron {
  readonly index: number;
  readonly bias: number;
  readonly inputs: Int32Array;
  readonly weights: Float64Array;
  readonly width: number;
  readonly altitude: number;
}

interface Layer {
  readonly neurons: Neuron[];
  readonly activation: Activation;
  readonly radialBasis: boolean;
  readonly normalization: string;
}

export const compileNeuralNetwork: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, scope, cc } = env;
  const net = element.attrs;
  const inputsElement = childNamed(element, 'NeuralInputs');
  if (!inputsElement) throw invalid(element, 'NeuralInputs is required');
  const index = new Map<string, number>();
  const inputGetters: Getter[] = [];
  for (const input of childrenNamed(inputsElement, 'NeuralInput')) {
    const id = input.attrs['id'];
    const derived = childNamed(input, 'DerivedField');
    if (id === undefined || !derived) throw invalid(input, 'a NeuralInput needs an id and a DerivedField');
    index.set(id, index.size);
    inputGetters.push(compileDerivedField(derived, scope, cc.slots, derived.attrs['name'] ?? `neural input ${id}`).get);
  }
  const layers: Layer[] = [];
  for (const layerElement of childrenNamed(element, 'NeuralLayer')) {
    const attr = (name: string): string | undefined => layerElement.attrs[name] ?? net[name];
    const activationName = attr('activationFunction') ?? '';
    const threshold = Number(attr('threshold') ?? '0');
    const radialBasis = activationName === 'radialBasis';
    const activation = radialBasis ? Math.exp : activationOf(activationName, threshold, layerElement);
    const normalization = layerElement.attrs['normalizationMethod'] ?? net['normalizationMethod'] ?? 'none';
    if (!['none', 'softmax', 'simplemax'].includes(normalization)) throw unsupported(layerElement, `normalizationMethod '${normalization}' is not supported`);
    const neurons = childrenNamed(layerElement, 'Neuron').map((n) => {
      const cons = childrenNamed(n, 'Con');
      const inputs = Int32Array.from(cons, (c) => {
        const from = index.get(c.attrs['from'] ?? '');
        if (from === undefined) throw invalid(c, `connection from unknown neuron '${c.attrs['from']}'`);
        return from;
      });
      return {
        index: -1,
        bias: Number(n.attrs['bias'] ?? '0'),
        inputs,
        weights: Float64Array.from(cons, (c) => Number(c.attrs['weight'])),
        width: Number(n.attrs['width'] ?? attr('width') ?? 'NaN'),
        altitude: Number(n.attrs['altitude'] ?? attr('altitude') ?? '1'),
        id: n.attrs['id'] ?? '',
      };
    });
    const indexed = neurons.map((n) => {
      const i = index.size;
      index.set(n.id, i);
      return { ...n, index: i };
    });
    if (radialBasis && indexed.some((n) => Number.isNaN(n.width))) throw invalid(layerElement, 'radialBasis neurons need a width');
    layers.push({ neurons: indexed, activation, radialBasis, normalization });
  }
  const values = new Float64Array(index.size);
  const outputs = compileOutputs(env, index);

  return {
    evaluate: (ctx): ModelResult | null => {
      for (let i = 0; i < inputGetters.length; i++) {
        const x = asNumber(inputGetters[i]!(ctx));
        if (x === null) return null;
        values[i] = x;
      }
      for (const layer of layers) {
        for (const n of layer.neurons) {
          let z: number;
          if (layer.radialBasis) {
            let d = 0;
            for (let k = 0; k < n.inputs.length; k++) {
              const diff = values[n.inputs[k]!]! - n.weights[k]!;
              d += diff * diff;
            }
            z = n.inputs.length * Math.log(n.altitude) - d / (2 * n.width * n.width);
          } else {
            z = n.bias;
            for (let k = 0; k < n.inputs.length; k++) z += values[n.inputs[k]!]! * n.weights[k]!;
          }
          values[n.index] = layer.activation(z);
        }
        normalizeLayer(layer, values);
      }
      return outputs(values);
    },
  };
};

function normalizeLayer(layer: Layer, values: Float64Array): void {
  if (layer.normalization === 'none') return;
  if (layer.normalization === 'softmax') {
    let max = -Infinity;
    for (const n of layer.neurons) max = Math.max(max, values[n.index]!);
    let sum = 0;
    for (const n of layer.neurons) sum += Math.exp(values[n.index]! - max);
    for (const n of layer.neurons) values[n.index] = Math.exp(values[n.index]! - max) / sum;
  } else {
    let sum = 0;
    for (const n of layer.neurons) sum += values[n.index]!;
    for (const n of layer.neurons) values[n.index] = values[n.index]! / sum;
  }
}

/** Reads the target from output neurons: a category's probability (NormDiscrete) or a value (FieldRef, NormContinuous). */
function compileOutputs(env: ModelEnv, index: Map<string, number>): (values: Float64Array) => ModelResult | null {
  const container = childNamed(env.element, 'NeuralOutputs');
  if (!container) throw invalid(env.element, 'NeuralOutputs is required');
  const targetType = env.target?.dataType ?? 'string';
  const categories: { key: string; value: Value; neuron: number }[] = [];
  let regression: ((values: Float64Array) => number) | undefined;
  for (const output of childrenNamed(container, 'NeuralOutput')) {
    const neuron = index.get(output.attrs['outputNeuron'] ?? '');
    if (neuron === undefined) throw invalid(output, `outputNeuron '${output.attrs['outputNeuron']}' is not a neuron`);
    const derived = childNamed(output, 'DerivedField');
    const expression = derived ? expressionChild(derived) : undefined;
    if (!expression) throw invalid(output, 'a NeuralOutput needs a DerivedField with an expression');
    if (expression.name === 'NormDiscrete') {
      const text = expression.attrs['value'] ?? '';
      const value = castValue(text, targetType) ?? text;
      categories.push({ key: valueKey(value), value, neuron });
    } else if (expression.name === 'FieldRef') {
      regression = (values) => values[neuron]!;
    } else if (expression.name === 'NormContinuous') {
      const points = childrenNamed(expression, 'LinearNorm').map((p) => ({ orig: Number(p.attrs['orig']), norm: Number(p.attrs['norm']) }));
      if (points.length < 2) throw invalid(expression, 'NormContinuous needs at least two LinearNorm elements');
      regression = (values) => denormalize(values[neuron]!, points);
    } else throw unsupported(expression, `<${expression.name}> in a NeuralOutput is not supported`);
  }
  if (env.functionName === 'regression') {
    if (!regression) throw invalid(container, 'a regression network needs a FieldRef or NormContinuous output');
    const r = regression;
    return (values) => ({ predicted: r(values) });
  }
  if (categories.length === 0) throw invalid(container, 'a classification network needs NormDiscrete outputs');
  return (values) => {
    const probabilities = new Map<string, number>();
    let best = categories[0]!;
    for (const c of categories) {
      probabilities.set(c.key, values[c.neuron]!);
      if (values[c.neuron]! > values[best.neuron]!) best = c;
    }
    return { predicted: best.value, probabilities };
  };
}

/** Inverse of a piecewise-linear NormContinuous: from the normalized value back to the original scale. */
function denormalize(y: number, points: { orig: number; norm: number }[]): number {
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if ((y >= a.norm && y <= b.norm) || i === points.length - 2 || (i === 0 && y < a.norm)) {
      return a.orig + ((y - a.norm) / (b.norm - a.norm)) * (b.orig - a.orig);
    }
  }
  return y;
}
