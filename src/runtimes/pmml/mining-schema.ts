import type { DataFieldDef } from './dictionary.ts';
import { rowError } from './eval-error.ts';
import { invalid, unsupported } from './pmml-error.ts';
import type { DataType, OpType, Value } from './types.ts';
import { castValue, parseOpType } from './values.ts';
import type { XmlElement } from './xml.ts';

export type UsageType = 'active' | 'target' | 'supplementary';

export interface MiningFieldDef {
  readonly name: string;
  readonly usage: UsageType;
  readonly element: XmlElement;
  readonly optype: OpType | undefined;
}

const USAGES: Readonly<Record<string, UsageType>> = {
  active: 'active',
  predicted: 'target',
  target: 'target',
  supplementary: 'supplementary',
};

export function readMiningFields(schema: XmlElement): MiningFieldDef[] {
  const fields: MiningFieldDef[] = [];
  for (const child of schema.children) {
    if (child.name === 'Extension') continue;
    if (child.name !== 'MiningField') throw unsupported(child, 'unexpected element in MiningSchema');
    const name = child.attrs['name'];
    if (name === undefined) throw invalid(child, 'name is required');
    const usageText = child.attrs['usageType'] ?? 'active';
    const usage = USAGES[usageText];
    if (!usage) throw unsupported(child, `usageType '${usageText}' is not supported (supported: active, target, predicted, supplementary)`);
    const optypeText = child.attrs['optype'];
    const optype = parseOpType(optypeText);
    if (optypeText !== undefined && !optype) throw invalid(child, `optype '${optypeText}' is not valid`);
    fields.push({ name, usage, element: child, optype });
  }
  return fields;
}

/** How one mining field turns an incoming value into the value the model sees. */
export type Treatment = (value: Value, row: number) => Value;

/**
 * Builds the MiningField treatment. `dataField` is given for the top-level model, where raw inputs are checked
 * against the DataDictionary (valid / invalid / missing); nested models only apply outliers and replacements.
 */
export function miningTreatment(
  mining: XmlElement,
  field: { readonly name: string; readonly dataType: DataType; readonly optype: OpType },
  dataField: DataFieldDef | undefined,
): Treatment {
  const a = mining.attrs;
  const invalidTreatment = a['invalidValueTreatment'] ?? 'returnInvalid';
  if (!['returnInvalid', 'asIs', 'asMissing', 'asValue'].includes(invalidTreatment)) {
    throw unsupported(mining, `invalidValueTreatment '${invalidTreatment}' is not supported`);
  }
  const missingTreatment = a['missingValueTreatment'] ?? 'asIs';
  if (!['asIs', 'asMean', 'asMode', 'asMedian', 'asValue', 'returnInvalid'].includes(missingTreatment)) {
    throw unsupported(mining, `missingValueTreatment '${missingTreatment}' is not supported`);
  }
  const replacement = castReplacement(mining, 'missingValueReplacement', field.dataType);
  const invalidReplacement = castReplacement(mining, 'invalidValueReplacement', field.dataType);
  if (invalidTreatment === 'asValue' && invalidReplacement === null) throw invalid(mining, 'invalidValueTreatment asValue needs invalidValueReplacement');
  const outliers = a['outliers'] ?? 'asIs';
  if (!['asIs', 'asMissingValues', 'asExtremeValues'].includes(outliers)) throw unsupported(mining, `outliers '${outliers}' is not supported`);
  const low = a['lowValue'] === undefined ? -Infinity : Number(a['lowValue']);
  const high = a['highValue'] === undefined ? Infinity : Number(a['highValue']);
  const treatOutliers = outliers !== 'asIs' && field.optype === 'continuous';

  const onMissing = (row: number): Value => {
    if (missingTreatment === 'returnInvalid') throw rowError(row, `field '${field.name}' is missing (MiningField missingValueTreatment=returnInvalid)`);
    return replacement;
  };

  return (raw: Value, row: number): Value => {
    let value: Value | undefined = raw;
    if (value === null || (typeof value === 'number' && Number.isNaN(value))) return onMissing(row);
    if (dataField) {
      const cast = castValue(value, field.dataType);
      const validity = cast === undefined ? 'invalid' : dataField.validity(cast);
      if (validity === 'missing') return onMissing(row);
      if (validity === 'invalid') {
        switch (invalidTreatment) {
          case 'returnInvalid':
            throw rowError(row, `field '${field.name}' has invalid value '${String(raw)}' (MiningField invalidValueTreatment=returnInvalid)`);
          case 'asMissing':
            return onMissing(row);
          case 'asValue':
            return invalidReplacement;
          default:
            return cast === undefined ? raw : cast;
        }
      }
      value = cast as Value;
    }
    if (treatOutliers && typeof value === 'number') {
      if (value < low) return outliers === 'asMissingValues' ? onMissing(row) : low;
      if (value > high) return outliers === 'asMissingValues' ? onMissing(row) : high;
    }
    return value;
  };
}

function castReplacement(mining: XmlElement, attribute: string, dataType: DataType): Value {
  const text = mining.attrs[attribute];
  if (text === undefined) return null;
  const value = castValue(text, dataType);
  if (value === undefined || value === null) throw invalid(mining, `${attribute} '${text}' is not a valid ${dataType}`);
  return value;
}
