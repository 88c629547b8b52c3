import { INVERSE_LINKS, logistic } from '../link-functions.ts';
import type { AlgorithmCompiler, AlgorithmPlan, ModelEnv } from '../model-types.ts';
import { invalid, unsupported } from '../pmml-error.ts';
import type { ModelResult, RowContext, Value } from '../types.ts';
import { asNumber, castValue, valueKey, valuesEqual } from '../values.ts';
import { childNamed, childrenNamed, type XmlElement } from '../xml.ts';

type ParameterValue = (ctx: RowContext) => number | null;

interface Cell {
  readonly parameter: string;
  readonly category: string | undefined;
  readonly beta: number;
}

const MODEL_TYPES = new Set(['regression', 'generalLinear', 'generalizedLinear', 'multinomialLogistic', 'ordinalMultinomial', 'CoxRegression']);

/** x_p for every parameter: the product of its PPMatrix cells (factor indicators, covariate powers); 1 if none. */
function compileParameters(env: ModelEnv, names: readonly string[]): Map<string, ParameterValue> {
  const { element, scope } = env;
  const factors = new Set(predictorNames(childNamed(element, 'FactorList')));
  const covariates = new Set(predictorNames(childNamed(element, 'CovariateList')));
  const cells = new Map<string, ((ctx: RowContext) => number | null)[]>();
  const matrix = childNamed(element, 'PPMatrix');
  for (const cell of matrix ? childrenNamed(matrix, 'PPCell') : []) {
    if (cell.attrs['targetCategory'] !== undefined) throw unsupported(cell, 'PPCell targetCategory is not supported');
    const predictor = cell.attrs['predictorName'] ?? '';
    const parameter = cell.attrs['parameterName'] ?? '';
    const text = cell.attrs['value'] ?? '';
    const field = scope.require(predictor, cell);
    const get = field.get;
    let factorValue: (ctx: RowContext) => number | null;
    if (factors.has(predictor)) {
      const level: Value = castValue(text, field.dataType) ?? text;
      factorValue = (ctx) => {
        const v = get(ctx);
        return v === null ? null : valuesEqual(v, level) ? 1 : 0;
      };
    } else if (covariates.has(predictor)) {
      const exponent = Number(text);
      if (Number.isNaN(exponent)) throw invalid(cell, `covariate exponent '${text}' is not a number`);
      factorValue = (ctx) => {
        const x = asNumber(get(ctx));
        return x === null ? null : exponent === 1 ? x : Math.pow(x, exponent);
      };
    } else throw invalid(cell, `predictor '${predictor}' is in neither FactorList nor CovariateList`);
    const list = cells.get(parameter) ?? [];
    list.push(factorValue);
    cells.set(parameter, list);
  }
  const values = new Map<string, ParameterValue>();
  for (const name of names) {
    const parts = cells.get(name) ?? [];
    values.set(name, (ctx) => {
      let product = 1;
      for (const part of parts) {
        const v = part(ctx);
        if (v === null) return null;
        product *= v;
      }
      return product;
    });
  }
  return values;
}

function predictorNames(list: XmlElement | undefined): string[] {
  if (!list) return [];
  return childrenNamed(list, 'Predictor').map((p) => {
    if (p.children.some((c) => c.name === 'Categories' || c.name === 'Matrix')) throw unsupported(p, 'contrast matrices are not supported');
    return p.attrs['name'] ?? '';
  });
}

function readCells(element: XmlElement): Cell[] {
  const matrix = childNamed(element, 'ParamMatrix');
  if (!matrix) throw invalid(element, 'ParamMatrix is required');
  return childrenNamed(matrix, 'PCell').map((cell) => {
    const beta = Number(cell.attrs['beta']);
    if (Number.isNaN(beta)) throw invalid(cell, 'beta must be a number');
    return { parameter: cell.attrs['parameterName'] ?? '', category: cell.attrs['targetCategory'], beta };
  });
}

/** Σ β_p x_p over the cells of one target category (or all, when category is undefined). */
function linearPredictor(cells: readonly Cell[], parameters: ReadonlyMap<string, ParameterValue>, element: XmlElement, reference?: ReadonlyMap<string, number>) {
  const terms = cells.map((cell) => {
    const x = parameters.get(cell.parameter);
    if (!x) throw invalid(element, `PCell refers to parameter '${cell.parameter}', which is not in the ParameterList`);
    return { x, beta: cell.beta, shift: reference?.get(cell.parameter) ?? 0 };
  });
  return (ctx: RowContext): number | null => {
    let sum = 0;
    for (const term of terms) {
      const x = term.x(ctx);
      if (x === null) return null;
      sum += term.beta * (x - term.shift);
    }
    return sum;
  };
}

export const compileGeneralRegressionModel: AlgorithmCompiler = (env: ModelEnv): AlgorithmPlan => {
  const { element } = env;
  const modelType = element.attrs['modelType'] ?? '';
  if (!MODEL_TYPES.has(modelType)) throw unsupported(element, `modelType '${modelType}' is not supported`);
  const parameterList = childNamed(element, 'ParameterList');
  const parameterElements = parameterList ? childrenNamed(parameterList, 'Parameter') : [];
  const parameterNames = parameterElements.map((p) => p.attrs['name'] ?? '');
  const parameters = compileParameters(env, parameterNames);
  const cells = readCells(element);
  const offset = compileOffset(env);

  if (modelType === 'CoxRegression') return compileCox(env, cells, parameters, parameterElements);
  if (modelType === 'multinomialLogistic') return compileMultinomial(env, cells, parameters, offset);
  if (modelType === 'ordinalMultinomial') return compileOrdinal(env, cells, parameters, offset);

  const link = modelType === 'generalizedLinear' ? linkOf(env) : (y: number) => y;
  if (env.functionName === 'regression') {
    const eta = linearPredictor(cells, parameters, element);
    return {
      evaluate: (ctx) => {
        const y = eta(ctx);
        const o = offset(ctx);
        return y === null || o === null ? null : { predicted: link(y + o) };
      },
    };
  }
  // Binary classification: the category with cells gets the mean, the reference category the rest.
  const categories = env.target?.categories ?? [];
  const modelled = cells.find((c) => c.category !== undefined)?.category;
  if (categories.length !== 2 || modelled === undefined) {
    throw unsupported(element, 'generalizedLinear classification needs a binary target with PCell targetCategory');
  }
  const targetType = env.target!.dataType;
  const positive: Value = castValue(modelled, targetType) ?? modelled;
  const negative = categories.find((c) => !valuesEqual(c, positive))!;
  const eta = linearPredictor(cells.filter((c) => c.category === modelled), parameters, element);
  return {
    evaluate: (ctx): ModelResult | null => {
      const y = eta(ctx);
      const o = offset(ctx);
      if (y === null || o === null) return null;
      const p = link(y + o);
      const probabilities = new Map([[valueKey(positive), p], [valueKey(negative), 1 - p]]);
      return { predicted: p > 0.5 ? positive : negative, probabilities };
    },
  };
};

function compileOffset(env: ModelEnv): (ctx: RowContext) => number | null {
  const value = Number(env.element.attrs['offsetValue'] ?? '0');
  const variable = env.element.attrs['offsetVariable'];
  if (variable === undefined) return () => value;
  const get = env.scope.require(variable, env.element).get;
  return (ctx) => {
    const x = asNumber(get(ctx));
    return x === null ? null : x + value;
  };
}

function linkOf(env: ModelEnv): (y: number) => number {
  const name = env.element.attrs['linkFunction'] ?? '';
  const parameter = Number(env.element.attrs['linkParameter'] ?? 'NaN');
  if (name === 'power') {
    if (Number.isNaN(parameter)) throw invalid(env.element, 'linkFunction power needs linkParameter');
    return parameter === 0 ? Math.exp : (y) => Math.pow(y, 1 / parameter);
  }
  if (name === 'oddspower') {
    if (Number.isNaN(parameter)) throw invalid(env.element, 'linkFunction oddspower needs linkParameter');
    return parameter === 0 ? logistic : (y) => 1 / (1 + Math.pow(1 + parameter * y, -1 / parameter));
  }
  const link = INVERSE_LINKS.get(name);
  if (!link || name === 'none' || name === 'exp') throw unsupported(env.element, `linkFunction '${name}' is not supported`);
  return link;
}

function categoriesOf(env: ModelEnv, cells: readonly Cell[]): Value[] {
  const declared = env.target?.categories ?? [];
  if (declared.length > 0) return [...declared];
  const seen = new Map<string, Value>();
  for (const c of cells) if (c.category !== undefined) seen.set(valueKey(c.category), castValue(c.category, env.target?.dataType ?? 'string') ?? c.category);
  return [...seen.values()];
}

function compileMultinomial(env: ModelEnv, cells: readonly Cell[], parameters: Map<string, ParameterValue>, offset: (ctx: RowContext) => number | null): AlgorithmPlan {
  const categories = categoriesOf(env, cells);
  const etas = categories.map((category) => {
    const own = cells.filter((c) => c.category !== undefined && valueKey(c.category) === valueKey(category));
    return own.length === 0 ? undefined : linearPredictor(own, parameters, env.element);
  });
  return {
    evaluate: (ctx) => {
      const o = offset(ctx);
      if (o === null) return null;
      const ys: number[] = [];
      for (const eta of etas) {
        const y = eta ? eta(ctx) : 0; // the reference category has no cells: η = 0
        if (y === null) return null;
        ys.push(y + (eta ? o : 0));
      }
      const max = Math.max(...ys);
      const exps = ys.map((y) => Math.exp(y - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      return distribution(categories, exps.map((e) => e / sum));
    },
  };
}

function compileOrdinal(env: ModelEnv, cells: readonly Cell[], parameters: Map<string, ParameterValue>, offset: (ctx: RowContext) => number | null): AlgorithmPlan {
  const name = env.element.attrs['cumulativeLink'] ?? 'logit';
  const link = INVERSE_LINKS.get(name);
  if (!link || name === 'none' || name === 'identity' || name === 'exp') throw unsupported(env.element, `cumulativeLink '${name}' is not supported`);
  const categories = categoriesOf(env, cells);
  // Intercepts are the cells with a target category; the slopes are shared by every category.
  const intercepts = categories.map((category) => cells.filter((c) => c.category !== undefined && valueKey(c.category) === valueKey(category)).reduce((s, c) => s + c.beta, 0));
  const eta = linearPredictor(cells.filter((c) => c.category === undefined), parameters, env.element);
  return {
    evaluate: (ctx) => {
      const y = eta(ctx);
      const o = offset(ctx);
      if (y === null || o === null) return null;
      const ps: number[] = [];
      let previous = 0;
      for (let i = 0; i < categories.length; i++) {
        const cumulative = i === categories.length - 1 ? 1 : link(intercepts[i]! + y + o);
        ps.push(cumulative - previous);
        previous = cumulative;
      }
      return distribution(categories, ps);
    },
  };
}

function distribution(categories: readonly Value[], ps: readonly number[]): ModelResult {
  const probabilities = new Map<string, number>();
  let best = 0;
  categories.forEach((c, i) => {
    probabilities.set(valueKey(c), ps[i]!);
    if (ps[i]! > ps[best]!) best = i;
  });
  return { predicted: categories[best] ?? null, probabilities };
}

/** Cox: cumulative hazard H0(t | stratum) · exp(Σ β (x − reference)). */
function compileCox(env: ModelEnv, cells: readonly Cell[], parameters: Map<string, ParameterValue>, parameterElements: readonly XmlElement[]): AlgorithmPlan {
  const { element, scope } = env;
  const reference = new Map(parameterElements.map((p) => [p.attrs['name'] ?? '', Number(p.attrs['referencePoint'] ?? '0')] as const));
  const eta = linearPredictor(cells, parameters, element, reference);
  const endTime = element.attrs['endTimeVariable'];
  if (endTime === undefined) throw invalid(element, 'CoxRegression needs endTimeVariable');
  const getTime = scope.require(endTime, element).get;
  const strataName = element.attrs['baselineStrataVariable'];
  const getStratum = strataName === undefined ? undefined : scope.require(strataName, element).get;
  const tables = childNamed(element, 'BaseCumHazardTables');
  if (!tables) throw invalid(element, 'CoxRegression needs BaseCumHazardTables');
  const readCellsOf = (container: XmlElement) =>
    childrenNamed(container, 'BaselineCell')
      .map((c) => ({ time: Number(c.attrs['time']), hazard: Number(c.attrs['cumHazard']) }))
      .sort((a, b) => a.time - b.time);
  const strata = new Map<string, { maxTime: number; cells: { time: number; hazard: number }[] }>();
  for (const stratum of childrenNamed(tables, 'BaselineStratum')) {
    strata.set(valueKey(stratum.attrs['value'] ?? ''), { maxTime: Number(stratum.attrs['maxTime']), cells: readCellsOf(stratum) });
  }
  const single = strataName === undefined ? { maxTime: Number(tables.attrs['maxTime'] ?? 'Infinity'), cells: readCellsOf(tables) } : undefined;
  return {
    evaluate: (ctx) => {
      const t = asNumber(getTime(ctx));
      if (t === null) return null;
      let baseline = single;
      if (getStratum) {
        const s = getStratum(ctx);
        if (s === null) return null;
        baseline = strata.get(valueKey(s));
      }
      if (!baseline || t > baseline.maxTime) return null;
      let hazard = 0;
      for (const cell of baseline.cells) {
        if (cell.time > t) break;
        hazard = cell.hazard;
      }
      const y = eta(ctx);
      if (y === null) return null;
      return { predicted: hazard * Math.exp(y) };
    },
  };
}
