import { invalid, unsupported } from './pmml-error.ts';
import type { DataType, OpType, Value } from './types.ts';
import { castValue, isNumericType, parseDataType, parseOpType, valueKey } from './values.ts';
import { childrenNamed, type XmlElement } from './xml.ts';

interface Interval {
  readonly left: number;
  readonly right: number;
  readonly leftClosed: boolean;
  readonly rightClosed: boolean;
}

export type Validity = 'valid' | 'invalid' | 'missing';

/** A DataField with what makes one of its values valid, invalid or missing. */
export interface DataFieldDef {
  readonly name: string;
  readonly dataType: DataType;
  readonly optype: OpType;
  readonly element: XmlElement;
  /** Valid categories in document order (categorical/ordinal fields that list them). */
  readonly categories: readonly Value[];
  /** Checks a value already cast to dataType. */
  validity(value: Value): Validity;
}

export function readDataDictionary(element: XmlElement | undefined): Map<string, DataFieldDef> {
  const fields = new Map<string, DataFieldDef>();
  if (!element) return fields;
  for (const child of element.children) {
    if (child.name === 'Extension') continue;
    if (child.name === 'Taxonomy') throw unsupported(child, 'taxonomies are not supported');
    if (child.name !== 'DataField') throw unsupported(child, 'unexpected element in DataDictionary');
    const def = readDataField(child);
    fields.set(def.name, def);
  }
  return fields;
}

export function readTypes(element: XmlElement, fallback?: { dataType?: DataType; optype?: OpType }): { dataType: DataType; optype: OpType } {
  const dataTypeText = element.attrs['dataType'];
  const dataType = dataTypeText === undefined ? fallback?.dataType : parseDataType(dataTypeText);
  if (!dataType) {
    if (dataTypeText === undefined) throw invalid(element, 'dataType is required');
    throw unsupported(element, `dataType '${dataTypeText}' is not supported (supported: string, integer, float, double, boolean)`);
  }
  const optypeText = element.attrs['optype'];
  const optype = optypeText === undefined ? fallback?.optype ?? (isNumericType(dataType) ? 'continuous' : 'categorical') : parseOpType(optypeText);
  if (!optype) throw invalid(element, `optype '${optypeText}' is not one of categorical, ordinal, continuous`);
  return { dataType, optype };
}

function readDataField(element: XmlElement): DataFieldDef {
  const name = element.attrs['name'];
  if (name === undefined) throw invalid(element, 'name is required');
  const { dataType, optype } = readTypes(element);
  if (element.attrs['isCyclic'] === '1') throw unsupported(element, 'cyclic fields are not supported');
  const valid: Value[] = [];
  const validKeys = new Set<string>();
  const invalidKeys = new Set<string>();
  const missingKeys = new Set<string>();
  const intervals: Interval[] = [];
  for (const child of element.children) {
    if (child.name === 'Extension') continue;
    if (child.name === 'Value') {
      const text = child.attrs['value'];
      if (text === undefined) throw invalid(child, 'value is required');
      const property = child.attrs['property'] ?? 'valid';
      const parsed = castValue(text, dataType);
      const key = parsed === undefined || parsed === null || (typeof parsed === 'number' && Number.isNaN(parsed)) ? text : valueKey(parsed);
      if (property === 'valid') {
        validKeys.add(key);
        if (parsed !== undefined) valid.push(parsed);
      } else if (property === 'invalid') invalidKeys.add(key);
      else if (property === 'missing') missingKeys.add(key);
      else throw invalid(child, `property '${property}' is not one of valid, invalid, missing`);
    } else if (child.name === 'Interval') {
      intervals.push(readInterval(child));
    } else throw unsupported(child, 'unexpected element in DataField');
  }
  // Only categorical and ordinal fields restrict their values to the listed ones.
  const restrictsToValues = optype !== 'continuous' && validKeys.size > 0;
  return {
    name,
    dataType,
    optype,
    element,
    categories: valid,
    validity(value: Value): Validity {
      if (value === null) return 'missing';
      if (typeof value === 'number' && Number.isNaN(value)) return 'missing';
      const key = valueKey(value);
      if (missingKeys.has(key)) return 'missing';
      if (invalidKeys.has(key)) return 'invalid';
      if (restrictsToValues && !validKeys.has(key)) return 'invalid';
      if (intervals.length > 0 && typeof value === 'number' && !intervals.some((i) => inInterval(i, value))) return 'invalid';
      return 'valid';
    },
  };
}

export function readInterval(element: XmlElement): Interval {
  const closure = element.attrs['closure'];
  if (closure === undefined) throw invalid(element, 'closure is required');
  const m = /^(open|closed)(Open|Closed)$/.exec(closure);
  if (!m) throw invalid(element, `closure '${closure}' is not one of openOpen, openClosed, closedOpen, closedClosed`);
  const left = element.attrs['leftMargin'];
  const right = element.attrs['rightMargin'];
  return {
    left: left === undefined ? -Infinity : Number(left),
    right: right === undefined ? Infinity : Number(right),
    leftClosed: m[1] === 'closed',
    rightClosed: m[2] === 'Closed',
  };
}

export function inInterval(interval: Interval, value: number): boolean {
  const aboveLeft = interval.leftClosed ? value >= interval.left : value > interval.left;
  const belowRight = interval.rightClosed ? value <= interval.right : value < interval.right;
  return aboveLeft && belowRight;
}

export type { Interval };

/** Reads `<Array>` text (space-separated, quotes allowed) as raw strings. */
export function readArray(element: XmlElement): string[] {
  const text = element.text;
  const items: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    items.push(match[1] !== undefined ? match[1].replace(/\\"/g, '"') : match[2]!);
  }
  return items;
}

export function arrayChild(element: XmlElement): XmlElement | undefined {
  return childrenNamed(element, 'Array')[0];
}
