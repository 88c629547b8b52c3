import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/**
 * A validation failure of a configuration document (ferry.yaml, model.yaml) as one line, `key.path: what is wrong`,
 * that says what would have been accepted: the allowed values of an enum, the known keys next to an unknown one
 * (with the closest one), and for a value that may take several forms, the form it was meant as.
 */
export function describeSchemaIssue(schema: Schema, issues: readonly Issue[], input: unknown): string {
  const { path, message } = describe(schema, issues[0]!, input, []);
  return `${path.map(String).join('.') || '(root)'}: ${message}`;
}

function describe(root: Schema, issue: Issue, input: unknown, prefix: readonly Key[]): { path: Key[]; message: string } {
  const path = [...prefix, ...issue.path];
  const node = schemaAt(root, issue.path);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_value':
      return { path, message: `expected ${issue.values.map(String).join(' | ')} (got ${shown(value)})` };
    case 'unrecognized_keys': {
      const known = node === undefined ? [] : objectKeys(node);
      const unknown = issue.keys.map((key) => `unknown key ${key}${didYouMean(key, known)}`).join('; ');
      return { path, message: known.length > 0 ? `${unknown}; known keys: ${known.join(' | ')}` : unknown };
    }
    case 'invalid_union': {
      const options = node === undefined ? [] : unionOptions(node);
      const branch = meantBranch(issue.errors, value, options);
      if (branch !== undefined) return describe(options[branch]!, issue.errors[branch]![0]!, value, path);
      return options.length > 0 ? { path, message: `expected ${options.map(form).join(' | ')} (got ${shown(value)})` } : { path, message: issue.message };
    }
    default:
      return { path, message: issue.message };
  }
}

/**
 * Which form of a union the value was meant as: the one branch that failed on a key or element inside it, else the
 * one branch that accepted its kind of value (an object for an object form). A bad word where a union also takes
 * objects or lists (`version_policy: latest`) is answered with every form, not only the words.
 */
function meantBranch(errors: readonly (readonly Issue[])[], value: unknown, options: readonly Schema[]): number | undefined {
  if (options.length !== errors.length) return undefined;
  const fits = errors.map((issues, index) => ({ index, issues })).filter(({ issues }) => issues.every((issue) => issue.path.length > 0 || takesKind(issue, value)));
  const nested = fits.filter(({ issues }) => issues.every((issue) => issue.path.length > 0));
  if (nested.length === 1) return nested[0]!.index;
  if (fits.length !== 1) return undefined;
  const only = fits[0]!;
  const wordOnly = only.issues.some((issue) => issue.path.length === 0 && issue.code === 'invalid_value');
  return wordOnly && options.some((option) => !isWords(option)) ? undefined : only.index;
}

/** Whether a branch's own (root) issue is about the value's content rather than its kind. */
function takesKind(issue: Issue, value: unknown): boolean {
  if (issue.code === 'invalid_type') return false;
  if (issue.code === 'invalid_value') return issue.values.some((allowed) => typeof allowed === typeof value);
  return true;
}

function isWords(option: Schema): boolean {
  const type = unwrap(option)._zod.def.type;
  return type === 'enum' || type === 'literal';
}

/** One form of a union, as a reader would write it: its words, or an object by its required keys. */
function form(option: Schema): string {
  const schema = unwrap(option);
  const def = schema._zod.def;
  if (def.type === 'enum') return Object.values((def as z.core.$ZodEnumDef).entries).map(String).join(' | ');
  if (def.type === 'literal') return (def as z.core.$ZodLiteralDef<z.core.util.Literal>).values.map(String).join(' | ');
  if (def.type === 'object') {
    const shape = (def as z.core.$ZodObjectDef).shape;
    const required = Object.keys(shape).filter((key) => shape[key]!._zod.optin !== 'optional');
    return `{${required.join(', ')}${required.length < Object.keys(shape).length ? ', ...' : ''}}`;
  }
  if (def.type === 'array') return `[${form((def as z.core.$ZodArrayDef).element)}, ...]`;
  return def.type;
}

/** The schema a path inside the document is checked by, through optional values, transforms, arrays and records. */
function schemaAt(root: Schema, path: readonly Key[]): Schema | undefined {
  let schema: Schema | undefined = unwrap(root);
  for (const key of path) {
    if (schema === undefined) return undefined;
    const def: z.core.$ZodTypeDef = schema._zod.def;
    if (def.type === 'union') schema = unionOptions(schema).map((option) => schemaAt(option, [key])).find((found) => found !== undefined);
    else if (def.type === 'object') schema = (def as z.core.$ZodObjectDef).shape[String(key)];
    else if (def.type === 'array') schema = (def as z.core.$ZodArrayDef).element;
    else if (def.type === 'record') schema = (def as z.core.$ZodRecordDef).valueType;
    else return undefined;
    if (schema !== undefined) schema = unwrap(schema);
  }
  return schema;
}

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as z.core.$ZodTypeDef & { innerType?: Schema; in?: Schema };
    if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) current = def.innerType;
    else return current;
  }
}

/** The keys an object schema knows; of a union (zod reports the one object form that fits), its object forms'. */
function objectKeys(schema: Schema): string[] {
  const def = unwrap(schema)._zod.def;
  if (def.type === 'union') return [...new Set(unionOptions(schema).flatMap(objectKeys))];
  return def.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

function unionOptions(schema: Schema): Schema[] {
  const def = unwrap(schema)._zod.def;
  return def.type === 'union' ? [...(def as z.core.$ZodUnionDef).options] : [];
}

function valueAt(input: unknown, path: readonly Key[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<Key, unknown>)[key];
  }
  return value;
}

/** A value as the reader typed it, cut short: messages are one line. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
