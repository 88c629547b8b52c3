import { compileExpression, expressionChild } from './expression.ts';
import type { OutputDef, TargetInfo } from './model-types.ts';
import { invalid, unsupported } from './pmml-error.ts';
import { cachedGetter, Scope } from './scope.ts';
import type { TargetSpec } from './targets.ts';
import type { DataType, Getter, ModelResult, OpType, RowContext, SlotAllocator, Value } from './types.ts';
import { castValue, isNumericType, parseDataType, valueKey } from './values.ts';
import { childrenNamed, type XmlElement } from './xml.ts';

const NUMERIC_FEATURES = new Set(['probability', 'affinity', 'entityAffinity', 'clusterAffinity', 'confidence']);

/**
 * Compiles a model's OutputFields into bindings of a new scope on top of the model scope, so that output
 * fields can refer to each other (e.g. a transformedValue of the predictedValue).
 */
export function compileOutputs(
  output: XmlElement | undefined,
  modelScope: Scope,
  result: (ctx: RowContext) => ModelResult | null,
  target: TargetInfo | undefined,
  targets: TargetSpec,
  slots: SlotAllocator,
): { scope: Scope; outputs: OutputDef[] } {
  const scope = new Scope(modelScope);
  if (!output) return { scope, outputs: [] };
  const fields = childrenNamed(output, 'OutputField');
  const names: string[] = [];
  for (const field of fields) {
    const name = field.attrs['name'];
    if (name === undefined) throw invalid(field, 'name is required');
    names.push(name);
    scope.defineLazy(name, () => compileOutputField(field, name, scope, result, target, targets, slots));
  }
  const outputs = names.map((name, i) => scope.resolve(name, fields[i]!) as OutputDef);
  return { scope, outputs };
}

function compileOutputField(
  field: XmlElement,
  name: string,
  scope: Scope,
  result: (ctx: RowContext) => ModelResult | null,
  target: TargetInfo | undefined,
  targets: TargetSpec,
  slots: SlotAllocator,
): OutputDef {
  const feature = field.attrs['feature'] ?? 'predictedValue';
  for (const attribute of ['segmentId', 'ruleFeature', 'algorithm']) {
    if (field.attrs[attribute] !== undefined) throw unsupported(field, `OutputField ${attribute} is not supported`);
  }
  if (field.attrs['rank'] !== undefined && field.attrs['rank'] !== '1') throw unsupported(field, 'OutputField rank other than 1 is not supported');
  const targetField = field.attrs['targetField'];
  if (targetField !== undefined && target?.name !== undefined && targetField !== target.name) {
    throw unsupported(field, `targetField '${targetField}' is not the model's target '${target.name}'`);
  }
  const declared = field.attrs['dataType'];
  let dataType: DataType | undefined = declared === undefined ? undefined : parseDataType(declared);
  if (declared !== undefined && !dataType) throw unsupported(field, `dataType '${declared}' is not supported`);
  const valueText = field.attrs['value'];
  const targetType = target?.dataType ?? 'string';
  const category: Value = valueText === undefined ? null : castValue(valueText, targetType) ?? valueText;
  const keyOf = (r: ModelResult): string | undefined => (category !== null ? valueKey(category) : r.predicted === null ? undefined : valueKey(r.predicted));
  let compute: Getter;
  switch (feature) {
    case 'predictedValue':
      dataType ??= targetType;
      compute = (ctx) => result(ctx)?.predicted ?? null;
      break;
    case 'predictedDisplayValue':
      dataType ??= 'string';
      compute = (ctx) => {
        const r = result(ctx);
        if (!r || r.predicted === null) return null;
        return r.displayValue ?? targets.displayValues.get(valueKey(r.predicted)) ?? (typeof r.predicted === 'number' ? String(r.predicted) : String(r.predicted));
      };
      break;
    case 'probability':
      compute = mapLookup(result, (r) => r.probabilities, keyOf, true);
      break;
    case 'confidence':
      compute = mapLookup(result, (r) => r.confidences ?? r.probabilities, keyOf, true);
      break;
    case 'affinity':
    case 'entityAffinity':
    case 'clusterAffinity': {
      const entity = valueText;
      compute = mapLookup(result, (r) => r.affinities, (r) => entity ?? (r.entityId ?? undefined), false);
      break;
    }
    case 'entityId':
    case 'clusterId':
      dataType ??= 'string';
      compute = (ctx) => result(ctx)?.entityId ?? null;
      break;
    case 'transformedValue':
    case 'decision': {
      const expressionElement = expressionChild(field);
      if (!expressionElement) throw invalid(field, `feature '${feature}' needs an expression`);
      const expression = compileExpression(expressionElement, scope, slots);
      dataType ??= expression.dataType;
      compute = expression.get;
      break;
    }
    default:
      throw unsupported(field, `OutputField feature '${feature}' is not supported`);
  }
  if (NUMERIC_FEATURES.has(feature)) dataType ??= 'double';
  const finalType: DataType = dataType ?? 'double';
  const optype = (field.attrs['optype'] as OpType | undefined) ?? (isNumericType(finalType) ? 'continuous' : 'categorical');
  const raw = compute;
  const typed: Getter = (ctx) => {
    const v = raw(ctx);
    if (v === null) return null;
    return castValue(v, finalType) ?? null;
  };
  return {
    name,
    dataType: finalType,
    optype,
    get: cachedGetter(slots.next(), typed),
    isFinal: field.attrs['isFinalResult'] !== 'false',
    element: field,
  };
}

function mapLookup(
  result: (ctx: RowContext) => ModelResult | null,
  pick: (r: ModelResult) => ReadonlyMap<string, number> | undefined,
  key: (r: ModelResult) => string | undefined,
  absentIsZero: boolean,
): Getter {
  return (ctx) => {
    const r = result(ctx);
    if (!r) return null;
    const map = pick(r);
    const k = key(r);
    if (!map || k === undefined) return null;
    return map.get(valueKey(k)) ?? (absentIsZero && map.size > 0 ? 0 : null);
  };
}
