import { ferryError } from '../errors/index.ts';

/**
 * What a request may declare about a tensor, checked before anything is allocated for it. A declared shape is
 * only numbers: `[1000000000, 0]` holds no elements, yet code that makes one row per batch entry would make a
 * billion. So the bound is on the product of the dimensions with zeros counted as one, which bounds every single
 * dimension too.
 */
export interface ShapeLimits {
  /** Most dimensions a tensor may have (setting: limits.max_rank). */
  readonly maxRank: number;
  /** Most elements a tensor may span, zero dimensions counted as one (setting: limits.max_elements). */
  readonly maxElements: number;
}

/** 2^26 elements: a 64 MiB body (the default body limit) of one-byte elements, the most any default body can hold. */
export const DEFAULT_SHAPE_LIMITS: ShapeLimits = { maxRank: 32, maxElements: 2 ** 26 };

/**
 * A request's declared shape as a list of dimensions, or a catalogue error: not a list, a dimension that is not a
 * non-negative safe integer (`1e300`, `-1`, `2.5`), more than `maxRank` dimensions, or more than `maxElements`
 * elements spanned.
 */
export function checkShape(name: string, shape: unknown, limits: ShapeLimits = DEFAULT_SHAPE_LIMITS): number[] {
  if (!Array.isArray(shape)) throw invalidShape(name, shape);
  if (shape.length > limits.maxRank) {
    throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', {
      what: `tensor '${name}' has ${shape.length} dimensions, which`, limit: `${limits.maxRank} dimensions`, setting: 'limits.max_rank',
    });
  }
  let span = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) throw invalidShape(name, shape);
    span *= Math.max(dim, 1);
  }
  checkSpan(name, shape as number[], span, limits);
  return shape as number[];
}

/** Bounds a shape found in the data itself (nested JSON lists): its rank and the elements it spans. */
export function checkSpan(name: string, shape: readonly number[], span: number, limits: ShapeLimits): void {
  if (span > limits.maxElements) {
    throw ferryError('FERRY_ERR_LIMIT_EXCEEDED', {
      what: `tensor '${name}' of shape ${shapeText(shape)} spans ${span} elements (a zero dimension counted as one), which`,
      limit: `${limits.maxElements} elements`,
      setting: 'limits.max_elements',
    });
  }
}

/** The elements a shape spans with zero dimensions counted as one. */
export function shapeSpan(shape: readonly number[]): number {
  let span = 1;
  for (const dim of shape) span *= Math.max(dim, 1);
  return span;
}

function invalidShape(name: string, shape: unknown) {
  return ferryError('FERRY_ERR_SHAPE_INVALID', { input: name, shape: shapeText(shape) });
}

/** A shape as text for an error, at most 64 characters of it. */
function shapeText(shape: unknown): string {
  let text: string;
  try {
    text = Array.isArray(shape) ? `[${shape.slice(0, 16).map((d) => (typeof d === 'number' || typeof d === 'bigint' ? String(d) : JSON.stringify(d) ?? String(d))).join(',')}]` : JSON.stringify(shape) ?? String(shape);
  } catch {
    text = String(shape);
  }
  return text.length > 64 ? `${text.slice(0, 63)}…` : text;
}
