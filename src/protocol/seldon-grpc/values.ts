import { ferryError } from '../../errors/index.ts';

/**
 * google.protobuf.Value as protobufjs decodes it (its bundled struct.proto keeps camelCase names): one of the
 * kinds, or nothing for a Value with no kind set.
 */
export interface WireValue {
  readonly nullValue?: number;
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: { readonly fields?: Readonly<Record<string, WireValue>> } | null;
  readonly listValue?: WireList | null;
  readonly kind?: string;
}
export interface WireList { readonly values?: readonly WireValue[] }

export type OutValue =
  | { nullValue: 0 } | { numberValue: number } | { stringValue: string } | { boolValue: boolean }
  | { structValue: { fields: Record<string, OutValue> } } | { listValue: { values: OutValue[] } };

/** A Value as the JSON value it stands for; nesting beyond `maxDepth` is refused (limits.max_json_depth). */
export function fromValue(value: WireValue, maxDepth: number, depth = 0): unknown {
  if (depth > maxDepth) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `a google.protobuf.Value is nested deeper than ${maxDepth} levels (limits.max_json_depth)` });
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue': {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value.structValue?.fields ?? {})) out[key] = fromValue(field, maxDepth, depth + 1);
      return out;
    }
    case 'listValue':
      return fromList(value.listValue ?? {}, maxDepth, depth + 1);
    default:
      return null; // nullValue, or a Value with no kind (proto3 reads it as null)
  }
}

export function fromList(list: WireList, maxDepth: number, depth = 0): unknown[] {
  return (list.values ?? []).map((v) => fromValue(v, maxDepth, depth));
}

/** A JSON value (with bigints from exact integer parsing) as a google.protobuf.Value. */
export function toValue(value: unknown): OutValue {
  if (value === null || value === undefined) return { nullValue: 0 };
  switch (typeof value) {
    case 'number':
      return { numberValue: value };
    case 'bigint':
      return { numberValue: Number(value) };
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    default:
      if (Array.isArray(value)) return { listValue: toList(value) };
      return { structValue: { fields: Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toValue(v)])) } };
  }
}

export function toList(values: readonly unknown[]): { values: OutValue[] } {
  return { values: values.map(toValue) };
}
