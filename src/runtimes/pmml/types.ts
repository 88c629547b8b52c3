/**
 * The evaluation plan's shared types. A document is compiled once into closures over a RowContext; evaluating a
 * row never walks XML.
 */

/** One field value; null is PMML's "missing". */
export type Value = number | string | boolean | null;

export type DataType = 'string' | 'integer' | 'float' | 'double' | 'boolean';
export type OpType = 'categorical' | 'ordinal' | 'continuous';

/** Per-row state: lazily computed field values and model results, keyed by slot numbers assigned at load. */
export interface RowContext {
  readonly slots: unknown[];
  /** Row number within the request, for error messages. */
  row: number;
}

export type Getter = (ctx: RowContext) => Value;

/** A field visible in a scope: its declared type and how to read it for the current row. */
export interface FieldBinding {
  readonly name: string;
  readonly dataType: DataType;
  readonly optype: OpType;
  /** Valid categories in document order, when declared (DataField Values, target categories). */
  readonly categories?: readonly Value[];
  readonly get: Getter;
}

/** What one model answers for one row. Maps are keyed by `valueKey` of the category or entity. */
export interface ModelResult {
  /** The predicted target value (category, number or cluster id); null when the model has no prediction. */
  readonly predicted: Value;
  readonly probabilities?: ReadonlyMap<string, number>;
  readonly entityId?: string | null;
  /** Affinity or distance per entity id (clustering) or per category (SVM, kNN-like). */
  readonly affinities?: ReadonlyMap<string, number>;
  readonly confidences?: ReadonlyMap<string, number>;
  /** Categories in a stable order, for majority voting ties and display. */
  readonly displayValue?: string;
}

export const UNSET = Symbol('unset');

/** Slot allocation shared by everything compiled from one document. */
export class SlotAllocator {
  count = 0;
  next(): number {
    return this.count++;
  }
}
