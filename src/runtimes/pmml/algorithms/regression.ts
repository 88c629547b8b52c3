import { FLOAT_INVERSE_LINKS, floatSimplemax, floatSoftmax } from '../float-math.ts';
import { INVERSE_LINKS, logistic } from '../link-functions.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { Scope } from '../scope.ts';
import type { ModelResult, RowContext, Value } from '../types.ts';
import { asNumber, castValue, valueKey, valuesEqual } from '../values.ts';
import { childrenNamed, type XmlElement } from '../xml.ts';

type Term = (ctx: RowContext) => number | null;

/**
 * One RegressionTable as a function of the row; null when an input it needs is missing. `round` is identity in
 * double arithmetic and Math.fround in float arithmetic, applied to every operand and result as JPMML's FloatValue
 * does (float(intercept), then `sum += float(float(x)^e) * float(coefficient)` per predictor).
 */
function compileTable(table: XmlElement, scope: Scope, round: (v: number) => number): Term {
  const interceptText = table.attrs['intercept'];
  if (interceptText === undefined) throw invalid(table, 'intercept is required');
  const intercept = round(Number(interceptText));
  if (!Number.isFinite(intercept)) throw invalid(table, 'intercept must be a finite number');
  const terms: Term[] = [];
  for (const child of table.children) {
    if (child.name === 'Extension') continue;
    const parsed = Number(child.attrs['coefficient']);
    if (Number.isNaN(parsed)) throw invalid(child, 'coefficient must be a number');
    if (!Number.isFinite(parsed)) throw invalid(child, 'coefficient must be a finite number');
    const coefficient = round(parsed);
    if (child.name === 'NumericPredictor') {
      const field = scope.require(child.attrs['name'] ?? '', child);
      const exponent = Number(child.attrs['exponent'] ?? '1');
      const get = field.get;
      terms.push((ctx) => {
        const x = asNumber(get(ctx));
        if (x === null) return null;
        return round((exponent === 1 ? round(x) : round(Math.pow(round(x), exponent))) * coefficient);
      });
    } else if (child.name === 'CategoricalPredictor') {
      const field = scope.require(child.attrs['name'] ?? '', child);
      const text = child.attrs['value'] ?? '';
      const value: Value = castValue(text, field.dataType) ?? text;
      const get = field.get;
      terms.push((ctx) => {
        const v = get(ctx);
        if (v === null) return null;
        return valuesEqual(v, value) ? coefficient : 0;
      });
    } else if (child.name === 'PredictorTerm') {
      const gets = childrenNamed(child, 'FieldRef').map((ref) => scope.require(ref.attrs['field'] ?? '', ref).get);
      terms.push((ctx) => {
        let product = coefficient;
        for (const get of gets) {
          const x = asNumber(get(ctx));
          if (x === null) return null;
          product = round(product * round(x));
        }
        return product;
      });
    } else throw unsupported(child, 'unexpected element in RegressionTable');
  }
  return (ctx) => {
    let sum = intercept;
    for (const term of terms) {
      const t = term(ctx);
      if (t === null) return null;
      sum = round(sum + t);
    }
    return sum;
  };
}

const CLASS_METHODS = new Set(['none', 'simplemax', 'softmax', 'logit', 'probit', 'cloglog', 'loglog', 'cauchit', 'exp']);

export const compileRegressionModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element, scope } = env;
  const method = element.attrs['normalizationMethod'] ?? 'none';
  if (!CLASS_METHODS.has(method)) throw unsupported(element, `normalizationMethod '${method}' is not supported`);
  const tables = childrenNamed(element, 'RegressionTable');
  if (tables.length === 0) throw invalid(element, 'at least one RegressionTable is required');
  const floatMath = env.floatMath;
  if (floatMath && method === 'probit') throw unsupported(element, "normalizationMethod 'probit' has no float arithmetic (x-mathContext=\"float\")");
  const round = floatMath ? Math.fround : (v: number) => v;
  const links = floatMath ? FLOAT_INVERSE_LINKS : INVERSE_LINKS;

  if (env.functionName === 'regression') {
    const table = compileTable(tables[0]!, scope, round);
    const link = method === 'softmax' ? links.get('logit')! : links.get(method)!;
    return {
      evaluate: (ctx) => {
        const y = table(ctx);
        return y === null ? null : { predicted: link(y) };
      },
    };
  }
  if (env.functionName !== 'classification') throw unsupported(element, `functionName '${env.functionName}' is not supported by RegressionModel`);
  const targetType = env.target?.dataType ?? 'string';
  const categories = tables.map((t) => {
    const text = t.attrs['targetCategory'];
    if (text === undefined) throw invalid(t, 'targetCategory is required for classification');
    return castValue(text, targetType) ?? text;
  });
  const terms = tables.map((t) => compileTable(t, scope, round));
  const keys = categories.map(valueKey);
  const n = terms.length;
  if (n > 2 && !['softmax', 'simplemax', 'none', 'exp'].includes(method)) {
    throw unsupported(element, `normalizationMethod '${method}' with more than two target categories is not supported`);
  }
  const link = links.get(method);
  return {
    evaluate: (ctx): ModelResult | null => {
      const ys: number[] = [];
      for (const term of terms) {
        const y = term(ctx);
        if (y === null) return null;
        ys.push(y);
      }
      const ps = floatMath ? normalizeFloat(ys, method, link) : normalize(ys, method, link);
      const probabilities = new Map<string, number>();
      let best = 0;
      for (let i = 0; i < n; i++) {
        probabilities.set(keys[i]!, ps[i]!);
        if (ps[i]! > ps[best]!) best = i;
      }
      return { predicted: categories[best]!, probabilities };
    },
  };
};

/** Class probabilities in float32 (JPMML's FloatValue): the binary case is `p, 1 - p` as in double. */
function normalizeFloat(ys: number[], method: string, link: ((y: number) => number) | undefined): number[] {
  switch (method) {
    case 'softmax': return floatSoftmax(ys);
    case 'simplemax': return floatSimplemax(ys);
    case 'exp': return ys.map(link!);
    default: {
      if (ys.length === 2) {
        const p0 = link!(ys[0]!);
        return [p0, Math.fround(1 - p0)];
      }
      return ys.map(link!);
    }
  }
}

function normalize(ys: number[], method: string, link: ((y: number) => number) | undefined): number[] {
  switch (method) {
    case 'softmax': {
      if (ys.length === 2) {
        // Binary softmax written as a logistic keeps full precision for large margins.
        const p0 = logistic(ys[0]! - ys[1]!);
        return [p0, 1 - p0];
      }
      const max = Math.max(...ys);
      const exps = ys.map((y) => Math.exp(y - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      return exps.map((e) => e / sum);
    }
    case 'simplemax': {
      const sum = ys.reduce((a, b) => a + b, 0);
      return ys.map((y) => y / sum);
    }
    case 'exp':
      return ys.map(Math.exp);
    default: {
      if (ys.length === 2) {
        const p0 = link!(ys[0]!);
        return [p0, 1 - p0];
      }
      return ys.map(link!);
    }
  }
}
