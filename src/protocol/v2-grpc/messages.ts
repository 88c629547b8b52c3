/**
 * The shapes of decoded protobuf messages Ferry reads (protobufjs reflection, snake_case field names). Absent
 * scalars read as their proto3 defaults, absent repeated fields as [], absent sub-messages as null.
 * 64-bit integers arrive as Long values (or numbers), bytes as Buffers.
 */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
  toNumber(): number;
  toString(): string;
}
export type Int64 = number | LongLike;

export interface WireParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: Int64;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: Int64;
}
export type WireParameters = Readonly<Record<string, WireParameter>>;

export interface WireContents {
  readonly bool_contents: readonly boolean[];
  readonly int_contents: readonly number[];
  readonly int64_contents: readonly Int64[];
  readonly uint_contents: readonly number[];
  readonly uint64_contents: readonly Int64[];
  readonly fp32_contents: readonly number[];
  readonly fp64_contents: readonly number[];
  readonly bytes_contents: readonly Uint8Array[];
}

export interface WireInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly Int64[];
  readonly parameters: WireParameters;
  readonly contents: WireContents | null;
}

export interface WireRequestedOutput {
  readonly name: string;
  readonly parameters: WireParameters;
}

export interface WireInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: WireParameters;
  readonly inputs: readonly WireInputTensor[];
  readonly outputs: readonly WireRequestedOutput[];
  readonly raw_input_contents: readonly Uint8Array[];
}

/** What Ferry writes: plain objects protobufjs encodes (typed arrays stand in for repeated numeric fields). */
export type OutParameters = Record<string, { bool_param: boolean } | { int64_param: number } | { string_param: string } | { double_param: number }>;

export interface OutOutputTensor {
  name: string;
  datatype: string;
  shape: readonly number[];
  parameters?: OutParameters;
}

export interface OutInferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: OutParameters;
  outputs: OutOutputTensor[];
  raw_output_contents?: Uint8Array[];
}
