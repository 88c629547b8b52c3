import { readInterval, inInterval } from './dictionary.ts';
import { rowError } from './eval-error.ts';
import { BUILT_INS } from './functions.ts';
import { invalid, unsupported } from './pmml-error.ts';
import { cachedGetter, type Scope } from './scope.ts';
import type { DataType, FieldBinding, Getter, OpType, RowContext, SlotAllocator, Value } from './types.ts';
import { asNumber, castValue, isNumericType, parseDataType, valueKey, valuesEqual } from './values.ts';
import { childrenNamed, type XmlElement } from './xml.ts';

/** A compiled expression: its result type and a getter for the current row. */
export interface CompiledExpression {
  readonly dataType: DataType;
  readonly optype: OpType;
  readonly get: Getter;
}

export const EXPRESSIONS: ReadonlySet<string> = new Set([
  'Constant', 'FieldRef', 'NormContinuous', 'NormDiscrete', 'Discretize', 'MapValues', 'Apply',
  'TextIndex', 'Aggregate', 'Lag',
]);

/** The one expression child of an element (DerivedField, OutputField, Apply argument holders). */
export function expressionChild(element: XmlElement): XmlElement | undefined {
  return element.children.find((c) => EXPRESSIONS.has(c.name));
}

export function compileExpression(element: XmlElement, scope: Scope, slots: SlotAllocator): CompiledExpression {
  switch (element.name) {
    case 'Constant':
      return compileConstant(element);
    case 'FieldRef':
      return compileFieldRef(element, scope);
    case 'NormContinuous':
      return compileNormContinuous(element, scope);
    case 'NormDiscrete':
      return compileNormDiscrete(element, scope);
    case 'Discretize':
      return compileDiscretize(element, scope);
    case 'MapValues':
      return compileMapValues(element, scope);
    case 'Apply':
      return compileApply(element, scope, slots);
    default:
      throw unsupported(element, `expression <${element.name}> is not supported`);
  }
}

/** A DerivedField as a field binding whose value is computed once per row. */
export function compileDerivedField(element: XmlElement, scope: Scope, slots: SlotAllocator, name?: string): FieldBinding {
  const fieldName = name ?? element.attrs['name'];
  if (fieldName === undefined) throw invalid(element, 'name is required');
  const expressionElement = expressionChild(element);
  if (!expressionElement) throw invalid(element, 'a DerivedField needs an expression');
  const expression = compileExpression(expressionElement, scope, slots);
  const declared = element.attrs['dataType'];
  const dataType = declared === undefined ? expression.dataType : parseDataType(declared);
  if (!dataType) throw unsupported(element, `dataType '${declared}' is not supported`);
  const optype = (element.attrs['optype'] as OpType | undefined) ?? expression.optype;
  const getter = castingGetter(expression.get, dataType, fieldName);
  return { name: fieldName, dataType, optype, get: cachedGetter(slots.next(), getter) };
}

function castingGetter(get: Getter, dataType: DataType, name: string): Getter {
  return (ctx) => {
    const value = get(ctx);
    if (value === null) return null;
    const cast = castValue(value, dataType);
    if (cast === undefined) throw rowError(ctx.row, `field '${name}': value '${String(value)}' is not a valid ${dataType}`);
    return cast;
  };
}

function inferConstantType(text: string): DataType {
  return text.trim() !== '' && !Number.isNaN(Number(text)) ? 'double' : 'string';
}

function compileConstant(element: XmlElement): CompiledExpression {
  const text = element.text.trim();
  const declared = element.attrs['dataType'];
  const dataType = declared === undefined ? inferConstantType(text) : parseDataType(declared);
  if (!dataType) throw unsupported(element, `dataType '${declared}' is not supported`);
  if (element.attrs['missing'] === 'true') return { dataType, optype: optypeOf(dataType), get: () => null };
  const value = castValue(dataType === 'string' ? element.text : text, dataType);
  if (value === undefined) throw invalid(element, `'${text}' is not a valid ${dataType}`);
  return { dataType, optype: optypeOf(dataType), get: () => value };
}

function optypeOf(dataType: DataType): OpType {
  return isNumericType(dataType) ? 'continuous' : 'categorical';
}

function fieldOf(element: XmlElement, scope: Scope): FieldBinding {
  const name = element.attrs['field'];
  if (name === undefined) throw invalid(element, 'field is required');
  return scope.require(name, element);
}

/** mapMissingTo as a value of the expression's type. */
function mapMissing(element: XmlElement, dataType: DataType): Value {
  const text = element.attrs['mapMissingTo'];
  if (text === undefined) return null;
  const value = castValue(text, dataType);
  if (value === undefined) throw invalid(element, `mapMissingTo '${text}' is not a valid ${dataType}`);
  return value;
}

function compileFieldRef(element: XmlElement, scope: Scope): CompiledExpression {
  const field = fieldOf(element, scope);
  const missing = mapMissing(element, field.dataType);
  const get = field.get;
  return { dataType: field.dataType, optype: field.optype, get: missing === null ? get : (ctx) => get(ctx) ?? missing };
}

function compileNormContinuous(element: XmlElement, scope: Scope): CompiledExpression {
  const field = fieldOf(element, scope);
  const points = childrenNamed(element, 'LinearNorm').map((p) => ({ orig: Number(p.attrs['orig']), norm: Number(p.attrs['norm']) }));
  if (points.length < 2) throw invalid(element, 'NormContinuous needs at least two LinearNorm elements');
  if (points.some((p) => Number.isNaN(p.orig) || Number.isNaN(p.norm))) throw invalid(element, 'LinearNorm orig and norm must be numbers');
  const outliers = element.attrs['outliers'] ?? 'asIs';
  if (!['asIs', 'asMissingValues', 'asExtremeValues'].includes(outliers)) throw unsupported(element, `outliers '${outliers}' is not supported`);
  const missing = mapMissing(element, 'double');
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const interpolate = (x: number, i: number): number => {
    const a = points[i]!;
    const b = points[i + 1]!;
    return a.norm + ((x - a.orig) / (b.orig - a.orig)) * (b.norm - a.norm);
  };
  const get = field.get;
  return {
    dataType: 'double',
    optype: 'continuous',
    get: (ctx) => {
      const x = asNumber(get(ctx));
      if (x === null) return missing;
      if (x < first.orig || x > last.orig) {
        if (outliers === 'asMissingValues') return null;
        if (outliers === 'asExtremeValues') return x < first.orig ? first.norm : last.norm;
        return x < first.orig ? interpolate(x, 0) : interpolate(x, points.length - 2);
      }
      for (let i = 0; i < points.length - 1; i++) {
        if (x <= points[i + 1]!.orig) {
          // Equal neighbouring origins mark a step: take the left norm exactly at the step.
          if (points[i + 1]!.orig === points[i]!.orig) return points[i]!.norm;
          return interpolate(x, i);
        }
      }
      return last.norm;
    },
  };
}

function compileNormDiscrete(element: XmlElement, scope: Scope): CompiledExpression {
  const field = fieldOf(element, scope);
  const text = element.attrs['value'];
  if (text === undefined) throw invalid(element, 'value is required');
  const target = castValue(text, field.dataType) ?? text;
  const missing = mapMissing(element, 'double');
  const get = field.get;
  return {
    dataType: 'double',
    optype: 'continuous',
    get: (ctx) => {
      const v = get(ctx);
      if (v === null) return missing;
      return valuesEqual(v, target) ? 1 : 0;
    },
  };
}

function compileDiscretize(element: XmlElement, scope: Scope): CompiledExpression {
  const field = fieldOf(element, scope);
  const dataType = parseDataType(element.attrs['dataType'] ?? 'string');
  if (!dataType) throw unsupported(element, `dataType '${element.attrs['dataType']}' is not supported`);
  const bins = childrenNamed(element, 'DiscretizeBin').map((bin) => {
    const interval = bin.children.find((c) => c.name === 'Interval');
    if (!interval) throw invalid(bin, 'a DiscretizeBin needs an Interval');
    const value = castValue(bin.attrs['binValue'] ?? '', dataType);
    if (value === undefined || value === null) throw invalid(bin, `binValue '${bin.attrs['binValue']}' is not a valid ${dataType}`);
    return { interval: readInterval(interval), value };
  });
  const missing = mapMissing(element, dataType);
  const fallbackText = element.attrs['defaultValue'];
  const fallback = fallbackText === undefined ? null : castValue(fallbackText, dataType) ?? null;
  const get = field.get;
  return {
    dataType,
    optype: 'categorical',
    get: (ctx) => {
      const x = asNumber(get(ctx));
      if (x === null) return missing;
      for (const bin of bins) if (inInterval(bin.interval, x)) return bin.value;
      return fallback;
    },
  };
}

function compileMapValues(element: XmlElement, scope: Scope): CompiledExpression {
  const output = element.attrs['outputColumn'];
  if (output === undefined) throw invalid(element, 'outputColumn is required');
  const dataType = parseDataType(element.attrs['dataType'] ?? 'string');
  if (!dataType) throw unsupported(element, `dataType '${element.attrs['dataType']}' is not supported`);
  const pairs = childrenNamed(element, 'FieldColumnPair').map((pair) => {
    const field = scope.require(pair.attrs['field'] ?? '', pair);
    return { get: field.get, column: localColumn(pair.attrs['column'] ?? '') };
  });
  const table = element.children.find((c) => c.name === 'InlineTable');
  if (!table) {
    const other = element.children.find((c) => c.name === 'TableLocator');
    throw other ? unsupported(other, 'TableLocator is not supported; use an InlineTable') : invalid(element, 'MapValues needs an InlineTable');
  }
  const lookup = new Map<string, Value>();
  for (const row of childrenNamed(table, 'row')) {
    const cells = new Map(row.children.map((c) => [c.name, c.text.trim()] as const));
    const key = pairs.map((p) => valueKey(cells.get(p.column) ?? '')).join('\u0001');
    const result = castValue(cells.get(localColumn(output)) ?? '', dataType);
    if (result === undefined) throw invalid(row, `output '${cells.get(localColumn(output))}' is not a valid ${dataType}`);
    if (!lookup.has(key)) lookup.set(key, result);
  }
  const missing = mapMissing(element, dataType);
  const fallbackText = element.attrs['defaultValue'];
  const fallback = fallbackText === undefined ? null : castValue(fallbackText, dataType) ?? null;
  return {
    dataType,
    optype: 'categorical',
    get: (ctx) => {
      const keys: string[] = [];
      for (const pair of pairs) {
        const v = pair.get(ctx);
        if (v === null) return missing;
        keys.push(valueKey(v));
      }
      const found = lookup.get(keys.join('\u0001'));
      return found === undefined ? fallback : found;
    },
  };
}

function localColumn(column: string): string {
  const colon = column.indexOf(':');
  return colon === -1 ? column : column.slice(colon + 1);
}

function compileApply(element: XmlElement, scope: Scope, slots: SlotAllocator): CompiledExpression {
  const name = element.attrs['function'];
  if (name === undefined) throw invalid(element, 'function is required');
  const builtIn = BUILT_INS.get(name);
  if (!builtIn) {
    const hint = name === 'log' ? ' (PMML names the logarithms log10 and ln)' : '';
    throw unsupported(element, `function '${name}' is not supported${hint}`);
  }
  const args = element.children.filter((c) => EXPRESSIONS.has(c.name)).map((c) => compileExpression(c, scope, slots));
  const [min, max] = builtIn.arity;
  if (args.length < min || args.length > max) {
    throw invalid(element, `function '${name}' takes ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} arguments, got ${args.length}`);
  }
  const dataType: DataType =
    builtIn.returns === 'firstArgument' ? args[0]!.dataType : builtIn.returns === 'secondArgument' ? args[1]!.dataType : builtIn.returns;
  const missing = mapMissing(element, dataType);
  const fallbackText = element.attrs['defaultValue'];
  const fallback = fallbackText === undefined ? null : castValue(fallbackText, dataType) ?? null;
  const invalidTreatment = element.attrs['invalidValueTreatment'] ?? 'returnInvalid';
  if (!['returnInvalid', 'asMissing', 'asIs'].includes(invalidTreatment)) throw unsupported(element, `invalidValueTreatment '${invalidTreatment}' is not supported`);
  const getters = args.map((a) => a.get);
  const call = builtIn.call;
  const handlesMissing = builtIn.handlesMissing === true;
  const numericResult = isNumericType(dataType);
  return {
    dataType,
    optype: optypeOf(dataType),
    get: (ctx: RowContext) => {
      const values = getters.map((g) => g(ctx));
      if (!handlesMissing && values.includes(null)) return missing;
      const result = call(values);
      if (result === null) return values.includes(null) && missing !== null ? missing : fallback;
      if (numericResult && typeof result === 'number' && !Number.isFinite(result)) {
        if (invalidTreatment === 'asMissing') return fallback;
        if (invalidTreatment === 'returnInvalid') throw rowError(ctx.row, `function '${name}' gave ${result} for arguments (${values.join(', ')})`);
      }
      return result;
    },
  };
}
