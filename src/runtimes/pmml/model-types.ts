import type { DataFieldDef } from './dictionary.ts';
import type { Scope } from './scope.ts';
import type { DataType, FieldBinding, ModelResult, OpType, RowContext, SlotAllocator, Value } from './types.ts';
import type { XmlElement } from './xml.ts';

export type FunctionName = 'regression' | 'classification' | 'clustering';

export interface TargetInfo {
  readonly name: string | undefined;
  readonly dataType: DataType;
  readonly optype: OpType;
  /** Declared categories (DataField Values, TargetValues), document order. */
  readonly categories: readonly Value[];
}

/** An OutputField ready to evaluate. */
export interface OutputDef extends FieldBinding {
  readonly isFinal: boolean;
  readonly element: XmlElement;
}

export interface CompiledModel {
  readonly element: XmlElement;
  readonly functionName: FunctionName;
  readonly target: TargetInfo | undefined;
  /** The model's result for the current row, computed once. */
  readonly result: (ctx: RowContext) => ModelResult | null;
  /** This model's OutputFields. */
  readonly outputs: readonly OutputDef[];
  /** The OutputFields a caller sees: this model's, plus the last segment's for a model chain. */
  readonly exposedOutputs: readonly OutputDef[];
}

export interface CompileContext {
  readonly slots: SlotAllocator;
  readonly dataFields: ReadonlyMap<string, DataFieldDef>;
  /** Compiles a nested model (Segment, chain) inside a parent scope. */
  readonly compileNested: (element: XmlElement, parent: Scope, floatMath: boolean) => CompiledModel;
}

/** What an algorithm compiler receives. */
export interface ModelEnv {
  readonly element: XmlElement;
  readonly scope: Scope;
  readonly cc: CompileContext;
  readonly functionName: FunctionName;
  readonly target: TargetInfo | undefined;
  readonly floatMath: boolean;
}

export interface AlgorithmPlan {
  /** The raw result before Targets post-processing; null when the model has no prediction for the row. */
  readonly evaluate: (ctx: RowContext) => ModelResult | null;
  /** For model chains: OutputFields of the last segment, visible to callers. */
  readonly chainOutputs?: readonly OutputDef[];
}

export type AlgorithmCompiler = (env: ModelEnv) => AlgorithmPlan;
