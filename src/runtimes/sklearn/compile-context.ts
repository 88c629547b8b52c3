import { ferryError, type FerryError } from '../../errors/index.ts';

/** Where a node sits in the document, for load errors that point at the faulty part. */
export interface CompileContext {
  readonly model: string;
  readonly path: string;
}

export function at(ctx: CompileContext, part: string): CompileContext {
  return { model: ctx.model, path: `${ctx.path}/${part}` };
}

/** The document is valid JSON Schema-wise but does not describe a usable model. */
export function invalidModel(ctx: CompileContext, detail: string): FerryError {
  return ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: ctx.model, detail: `${ctx.path}: ${detail}` });
}

export function expectLength(ctx: CompileContext, what: string, actual: number, expected: number): void {
  if (actual !== expected) throw invalidModel(ctx, `${what} has ${actual} entries, expected ${expected}`);
}
