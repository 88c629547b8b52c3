import type { Datatype, TensorData } from './datatype.ts';

export type ParameterValue = string | number | boolean;
export type Parameters = Record<string, ParameterValue>;

/** A named, typed, shaped block of elements: the lingua franca of every layer. Data is row-major. */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
  readonly parameters?: Parameters;
}

/** Name, datatype and shape of a model input or output; -1 marks a dynamic dimension. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly parameters?: Parameters;
}

export interface RequestedOutput {
  readonly name: string;
  readonly parameters?: Parameters;
}

/** A protocol-neutral inference request; every protocol adapter translates into this. */
export interface InferRequest {
  readonly id?: string;
  readonly parameters?: Parameters;
  readonly inputs: readonly Tensor[];
  /** Outputs to return; absent means all of the model's outputs. */
  readonly outputs?: readonly RequestedOutput[];
}

export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id?: string;
  readonly parameters?: Parameters;
  readonly outputs: readonly Tensor[];
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}
