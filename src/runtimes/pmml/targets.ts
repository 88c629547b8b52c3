import { invalid, unsupported } from './pmml-error.ts';
import type { DataType, ModelResult, Value } from './types.ts';
import { castValue, valueKey } from './values.ts';
import { childrenNamed, type XmlElement } from './xml.ts';

/** The Targets element of a model: post-processing of regression values, defaults and display values. */
export interface TargetSpec {
  /** Applies rescaling, clipping and integer casting to a regression value. */
  readonly process: (value: number) => number;
  /** Prediction to use when the model has none (TargetValue defaultValue / priorProbability). */
  readonly fallback: ModelResult | undefined;
  readonly displayValues: ReadonlyMap<string, string>;
  /** Categories declared by TargetValue elements, in document order. */
  readonly categories: readonly Value[];
}

const IDENTITY: TargetSpec = { process: (v) => v, fallback: undefined, displayValues: new Map(), categories: [] };

export function readTargets(element: XmlElement | undefined, targetName: string | undefined, dataType: DataType, floatMath: boolean): TargetSpec {
  if (!element) return IDENTITY;
  const targets = childrenNamed(element, 'Target');
  if (targets.length === 0) return IDENTITY;
  const target = targets.find((t) => t.attrs['field'] === undefined || t.attrs['field'] === targetName);
  if (targets.length > 1 || !target) throw unsupported(targets[1] ?? targets[0]!, 'only one Target, for the model\'s target field, is supported');
  const number = (name: string, fallback: number): number => {
    const text = target.attrs[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isNaN(n)) throw invalid(target, `${name} '${text}' is not a number`);
    return n;
  };
  const factor = number('rescaleFactor', 1);
  const constant = number('rescaleConstant', 0);
  const min = number('min', -Infinity);
  const max = number('max', Infinity);
  const cast = target.attrs['castInteger'];
  if (cast !== undefined && !['round', 'ceiling', 'floor'].includes(cast)) throw invalid(target, `castInteger '${cast}' is not one of round, ceiling, floor`);
  const rounding = cast === 'round' ? (v: number) => Math.floor(v + 0.5) : cast === 'ceiling' ? Math.ceil : cast === 'floor' ? Math.floor : undefined;
  // In float arithmetic every operand is a float32 too (JPMML's FloatValue: `value += (float)constant`).
  const round = floatMath ? Math.fround : (v: number) => v;
  const [low, high, times, plus] = [round(min), round(max), round(factor), round(constant)];
  const process = (value: number): number => {
    let v = Math.min(Math.max(round(value), low), high);
    if (factor !== 1) v = round(v * times);
    if (constant !== 0) v = round(v + plus);
    return rounding ? round(rounding(v)) : v;
  };

  const displayValues = new Map<string, string>();
  const categories: Value[] = [];
  const priors = new Map<string, number>();
  let defaultValue: number | undefined;
  let bestPrior: Value = null;
  let bestProbability = -1;
  for (const tv of childrenNamed(target, 'TargetValue')) {
    const text = tv.attrs['value'];
    if (text !== undefined) {
      const value = castValue(text, dataType) ?? text;
      categories.push(value);
      if (tv.attrs['displayValue'] !== undefined) displayValues.set(valueKey(value), tv.attrs['displayValue']);
      if (tv.attrs['priorProbability'] !== undefined) {
        const p = Number(tv.attrs['priorProbability']);
        priors.set(valueKey(value), p);
        if (p > bestProbability) {
          bestProbability = p;
          bestPrior = value;
        }
      }
    }
    if (tv.attrs['defaultValue'] !== undefined) defaultValue = Number(tv.attrs['defaultValue']);
  }
  const fallback: ModelResult | undefined =
    priors.size > 0 ? { predicted: bestPrior, probabilities: priors } : defaultValue !== undefined ? { predicted: process(defaultValue) } : undefined;
  return { process, fallback, displayValues, categories };
}
