import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../../docs/formats/sklearn.schema.json' with { type: 'json' };
import { ferryError } from '../../errors/index.ts';
import { COMPILERS } from './compile.ts';
import type { EstimatorNode, SklearnDocument } from './document.ts';

export const FORMAT = 'ferry-sklearn';
export const FORMAT_VERSION = 1;

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  // Compiled once per process, on first use: the schema is static.
  validator ??= new Ajv2020({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true }).compile(schema);
  return validator;
}

/** Checks a parsed JSON value is a ferry-sklearn v1 document: format, version, known types, then the schema. */
export function validateDocument(value: unknown, model: string): SklearnDocument {
  const fail = (detail: string) => ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('a ferry-sklearn document is a JSON object');
  const record = value as Record<string, unknown>;
  if (record.format !== FORMAT) throw fail(`"format" is ${JSON.stringify(record.format)}, expected "${FORMAT}"`);
  if (record.version !== FORMAT_VERSION) {
    throw fail(`ferry-sklearn version ${JSON.stringify(record.version)} is not supported (this Ferry reads version ${FORMAT_VERSION})`);
  }
  const unknown = [...unknownTypes(record.estimator)];
  if (unknown.length > 0) {
    throw ferryError('FERRY_ERR_UNSUPPORTED_MODEL', {
      model,
      detail: `unknown estimator type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `'${t}'`).join(', ')} (ferry-sklearn v${FORMAT_VERSION} supports ${Object.keys(COMPILERS).join(', ')})`,
    });
  }
  const validate = schemaValidator();
  if (!validate(value)) throw fail(`does not match the ferry-sklearn schema: ${describe(validate.errors ?? [])}`);
  return value as SklearnDocument;
}

/** Every estimator `type` in the tree that this version does not know. */
function* unknownTypes(node: unknown): Generator<string> {
  if (typeof node !== 'object' || node === null) return;
  const { type } = node as EstimatorNode;
  if (typeof type !== 'string') return;
  if (!Object.hasOwn(COMPILERS, type)) yield type;
  const { steps, transformers } = node as { steps?: unknown; transformers?: unknown };
  if (Array.isArray(steps)) for (const step of steps) yield* unknownTypes(step);
  if (Array.isArray(transformers)) for (const t of transformers) yield* unknownTypes((t as { estimator?: unknown })?.estimator);
}

function describe(errors: readonly ErrorObject[]): string {
  return errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}
