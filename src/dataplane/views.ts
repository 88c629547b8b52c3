import type { RequestTrace } from '../observe/tracing/request-trace.ts';
import type { ExampleRequest } from '../runtimes/runtime.ts';
import type { Parameters, TensorMetadata } from '../tensor/index.ts';

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly parameters?: Parameters;
  /** A request the model answers (an MLflow model's saved example), as a V2 JSON infer body. */
  readonly input_example?: ExampleRequest;
  /** model.yaml `max_request_rows`: requests carry at most this many rows along their first dimension. */
  readonly maxRequestRows?: number;
}

export interface VersionStatus {
  readonly version: string;
  readonly state: 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END' | 'ERROR';
  readonly reason?: string;
}

export interface ModelStatus {
  readonly name: string;
  readonly versions: readonly VersionStatus[];
  readonly labels: Readonly<Record<string, string>>;
  /** Why the model's model.yaml was rejected (what serves keeps the configuration it loaded with). */
  readonly config_error?: string;
}

export interface RepositoryEntry {
  readonly name: string;
  readonly version?: string;
  readonly state: string;
  readonly reason?: string;
}

export interface DurationStat {
  readonly count: number;
  readonly ns: number;
}

/** Triton statistics extension, per model version. */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: {
    readonly success: DurationStat;
    readonly fail: DurationStat;
    readonly queue: DurationStat;
    /** compute_input and compute_output, optional in the extension, are not reported: not timed apart from this. */
    readonly compute_infer: DurationStat;
  };
  readonly batch_stats: readonly { readonly batch_size: number; readonly compute_infer: DurationStat }[];
}

export interface InferContext {
  /** Which adapter the request came through, for metrics ('v2-rest', 'v2-grpc', 'tfserving', ...). */
  readonly protocol: string;
  readonly version?: string | undefined;
  readonly label?: string | undefined;
  /** Epoch milliseconds after which the request must not start running. */
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The request's trace, when it is traced (DataPlane.startTrace). */
  readonly trace?: RequestTrace | undefined;
  /** Request headers (lower-case names), for graphs that route on a header or keep a user on one arm. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>> | undefined;
}
