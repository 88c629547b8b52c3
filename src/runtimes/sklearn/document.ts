/**
 * TypeScript view of a ferry-sklearn document (docs/formats/sklearn.md). Shapes are guaranteed by the JSON
 * Schema (validate.ts); sizes and index ranges are checked when a node is compiled.
 */
export type Real = number | 'NaN' | 'Infinity' | '-Infinity';
export type Category = string | number | null;

export interface FeatureEntry {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
}

export interface SklearnDocument {
  readonly format: 'ferry-sklearn';
  readonly version: 1;
  readonly producer?: Readonly<Record<string, unknown>>;
  readonly features: readonly FeatureEntry[];
  readonly estimator: EstimatorNode;
}

export interface EstimatorNode {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface TreeNode {
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly feature: readonly number[];
  readonly threshold: readonly Real[];
  readonly value: readonly Real[] | readonly (readonly Real[])[];
  readonly missing_left?: readonly boolean[];
}

export interface HistTreeNode {
  readonly leaf: readonly boolean[];
  readonly feature: readonly number[];
  readonly threshold: readonly Real[];
  readonly missing_left: readonly boolean[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly value: readonly Real[];
  readonly categories_left: readonly (readonly number[] | null)[];
}

/** A JSON `real` as a number. */
export function real(value: Real): number {
  if (typeof value === 'number') return value;
  return value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : -Infinity;
}

export function reals(values: readonly Real[]): Float64Array {
  return Float64Array.from(values, real);
}
