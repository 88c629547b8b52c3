import { readArray } from './dictionary.ts';
import { invalid, unsupported } from './pmml-error.ts';
import type { Scope } from './scope.ts';
import type { RowContext, Value } from './types.ts';
import { castValue, compareValues, valueKey } from './values.ts';
import type { XmlElement } from './xml.ts';

/** A predicate in PMML's three-valued logic: true, false, or null for UNKNOWN (a missing input). */
export type Predicate = (ctx: RowContext) => boolean | null;

export const PREDICATES: ReadonlySet<string> = new Set(['SimplePredicate', 'CompoundPredicate', 'SimpleSetPredicate', 'True', 'False']);

export function predicateChild(element: XmlElement): XmlElement {
  const found = element.children.find((c) => PREDICATES.has(c.name));
  if (found) return found;
  const unknown = element.children.find((c) => c.name.endsWith('Predicate'));
  if (unknown) throw unsupported(unknown, `predicate <${unknown.name}> is not supported`);
  throw invalid(element, 'a predicate (SimplePredicate, CompoundPredicate, SimpleSetPredicate, True, False) is required');
}

export function compilePredicate(element: XmlElement, scope: Scope): Predicate {
  switch (element.name) {
    case 'True':
      return () => true;
    case 'False':
      return () => false;
    case 'SimplePredicate':
      return compileSimple(element, scope);
    case 'SimpleSetPredicate':
      return compileSet(element, scope);
    case 'CompoundPredicate':
      return compileCompound(element, scope);
    default:
      throw unsupported(element, `predicate <${element.name}> is not supported`);
  }
}

function compileSimple(element: XmlElement, scope: Scope): Predicate {
  const field = scope.require(element.attrs['field'] ?? '', element);
  const operator = element.attrs['operator'];
  const get = field.get;
  if (operator === 'isMissing') return (ctx) => get(ctx) === null;
  if (operator === 'isNotMissing') return (ctx) => get(ctx) !== null;
  const text = element.attrs['value'];
  if (text === undefined) throw invalid(element, `operator '${operator}' needs a value`);
  const cast = castValue(text, field.dataType);
  const value: Value = cast === undefined || cast === null ? text : cast;
  const test = OPERATORS[operator ?? ''];
  if (!test) throw unsupported(element, `operator '${operator}' is not supported`);
  return (ctx) => {
    const v = get(ctx);
    if (v === null) return null;
    const c = compareValues(v, value);
    return c === undefined ? null : test(c);
  };
}

const OPERATORS: Readonly<Record<string, (c: number) => boolean>> = {
  equal: (c) => c === 0,
  notEqual: (c) => c !== 0,
  lessThan: (c) => c < 0,
  lessOrEqual: (c) => c <= 0,
  greaterThan: (c) => c > 0,
  greaterOrEqual: (c) => c >= 0,
};

function compileSet(element: XmlElement, scope: Scope): Predicate {
  const field = scope.require(element.attrs['field'] ?? '', element);
  const operator = element.attrs['booleanOperator'];
  if (operator !== 'isIn' && operator !== 'isNotIn') throw unsupported(element, `booleanOperator '${operator}' is not supported`);
  const array = element.children.find((c) => c.name === 'Array');
  if (!array) throw invalid(element, 'SimpleSetPredicate needs an Array');
  const items = readArray(array);
  const isIn = operator === 'isIn';
  const get = field.get;
  if (field.dataType === 'string') {
    // Strings match by text: no canonical-key work on the hot path.
    const texts = new Set(items);
    return (ctx) => {
      const v = get(ctx);
      if (v === null) return null;
      return texts.has(typeof v === 'string' ? v : valueKey(v)) === isIn;
    };
  }
  const keys = new Set(items.map((item) => valueKey(castValue(item, field.dataType) ?? item)));
  return (ctx) => {
    const v = get(ctx);
    if (v === null) return null;
    return keys.has(valueKey(v)) === isIn;
  };
}

function compileCompound(element: XmlElement, scope: Scope): Predicate {
  const parts = element.children.filter((c) => PREDICATES.has(c.name) || c.name.endsWith('Predicate')).map((c) => compilePredicate(c, scope));
  if (parts.length < 2) throw invalid(element, 'CompoundPredicate needs at least two predicates');
  const operator = element.attrs['booleanOperator'];
  switch (operator) {
    case 'and':
      return (ctx) => {
        let unknown = false;
        for (const p of parts) {
          const r = p(ctx);
          if (r === false) return false;
          if (r === null) unknown = true;
        }
        return unknown ? null : true;
      };
    case 'or':
      return (ctx) => {
        let unknown = false;
        for (const p of parts) {
          const r = p(ctx);
          if (r === true) return true;
          if (r === null) unknown = true;
        }
        return unknown ? null : false;
      };
    case 'xor':
      return (ctx) => {
        let result = false;
        for (const p of parts) {
          const r = p(ctx);
          if (r === null) return null;
          result = result !== r;
        }
        return result;
      };
    case 'surrogate':
      return (ctx) => {
        for (const p of parts) {
          const r = p(ctx);
          if (r !== null) return r;
        }
        return null;
      };
    default:
      throw unsupported(element, `booleanOperator '${operator}' is not supported`);
  }
}
