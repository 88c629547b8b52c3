import type { BytesReading, InferRequest, Parameters, Tensor, TensorMetadata } from '../tensor/index.ts';

/**
 * The runtime plug-in interface. A runtime turns the files of one model version into a ModelInstance.
 * Runtimes import tensor/ and errors/ only; every runtime runs the shared suite in runtime.case.ts.
 */
export interface Runtime {
  /** Stable name used in model.yaml `runtime:` and in metadata `platform`. */
  readonly name: string;
  /** Format detection from the files in a version folder. */
  canLoad(dir: ModelDir): Promise<boolean>;
  load(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance>;
}

/**
 * A version folder: its absolute path and the file names in it (relative, '/'-separated). A runtime reads only files
 * of this list, through resolveModelFile (model-path.ts), which keeps every read inside the folder.
 */
export interface ModelDir {
  readonly path: string;
  readonly files: readonly string[];
  /**
   * Real paths outside the folder that its files may resolve into through symbolic links (`repository.allowed_paths`).
   * The folder itself may also be a link into one of them.
   */
  readonly allowedRoots?: readonly string[];
}

export interface ModelSpec {
  readonly name: string;
  readonly version: string;
  readonly dir: ModelDir;
  /** Runtime-specific options from model.yaml `options:`; the runtime validates what it reads. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * model.yaml `inputs:`/`outputs:` as written. Runtimes that read a signature from the model file ignore them (the
   * manager applies them as overrides); a model as code that does not describe itself takes its signature here.
   */
  readonly declared?: { readonly inputs?: readonly DeclaredTensor[] | undefined; readonly outputs?: readonly DeclaredTensor[] | undefined };
}

/** A tensor as model.yaml declares it; datatype and shape may be left to the model. */
export interface DeclaredTensor {
  readonly name: string;
  readonly source?: string | undefined;
  readonly datatype?: TensorMetadata['datatype'] | undefined;
  readonly shape?: readonly number[] | undefined;
}

export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RuntimeContext {
  readonly logger: RuntimeLogger;
  /** Threads a runtime may use inside one execution and across parallel operators (0 = runtime default). */
  readonly threads: { readonly intraOp: number; readonly interOp: number };
  /**
   * Called by an instance that can no longer serve after it was loaded (a model as code whose worker keeps
   * crashing): the model manager moves the version to ERROR with the reason. Runtimes that cannot fail so ignore it.
   */
  readonly failed?: (reason: string) => void;
}

export interface ModelSignature {
  /** Runtime/format name reported as V2 `platform` (e.g. 'onnxruntime_onnx', 'xgboost_json'). */
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /**
   * How the model reads BYTES inputs when it cannot take any bytes: `text` (valid UTF-8: the runtime works on its
   * language's strings, as the tabular runtimes' categories are) or `c-string` (valid UTF-8 without NUL: ONNX
   * Runtime's strings end at the first NUL byte). The data plane refuses an element the model cannot read before
   * it is queued, so such a request is answered with a clear error instead of reaching the model altered (a
   * U+FFFD, a string cut short) or failing a batch it was merged into. Absent: any bytes.
   */
  readonly bytesInputs?: BytesReading;
  /**
   * `convert`: the model computes its FP32/FP64 inputs in that datatype and takes them in any numeric datatype (BOOL,
   * integers, floats), as the tabular libraries do: the data plane converts such an input to the declared datatype
   * before it is queued (tensor/numeric-convert.ts), so the instance sees only what it declares and requests of
   * different datatypes batch together. Absent: the datatype must be the declared one.
   */
  readonly numericInputs?: 'convert';
  /**
   * A request the model answers, saved with it by its author (an MLflow model's `input_example`), as the JSON body
   * of an Open Inference Protocol infer request: model metadata shows it to clients, ready to send.
   */
  readonly inputExample?: ExampleRequest;
}

/** An infer request in the Open Inference Protocol's JSON form (values as JSON numbers, strings and booleans). */
export interface ExampleRequest {
  readonly inputs: readonly { readonly name: string; readonly datatype: TensorMetadata['datatype']; readonly shape: readonly number[]; readonly data: readonly (number | string | boolean)[] }[];
}

/** What a runtime answers for one request: every output it computed (the data plane applies selection). */
export interface ExecuteResult {
  readonly outputs: readonly Tensor[];
  readonly parameters?: Parameters;
  /**
   * Time the model spent computing this request, without the time it waited in the instance's own queue or for the
   * event loop to take its result: an instance on another thread measures it there. The adaptive batch limit tunes
   * to it when every result of a batch has it (else to how long execute() took), so that a busy event loop or a
   * pipelined batch ahead (`pipelineDepth`) does not read as a slow model.
   */
  readonly computeMs?: number;
}

export interface ModelInstance {
  readonly signature: ModelSignature;
  /**
   * Largest number of rows along dimension 0 that one execute() may carry, when rows are independent so that
   * the scheduler may merge requests along that axis; 0 = the model has no batch dimension (never merged).
   */
  readonly maxBatchSize: number;
  /**
   * Batches the instance accepts at once (default 1). An instance that computes on another thread and runs what
   * it is given one after another (a worker's queue) may take 2, so that the next batch is already waiting there
   * when one finishes, instead of waiting for the event loop to pick up the result and send it.
   */
  readonly pipelineDepth?: number;
  /**
   * The instance takes a batch as the list of its requests, unmerged, and answers each (default false: the scheduler
   * concatenates a batch along dimension 0 into one request). The scheduler then groups queued requests whatever
   * their shapes, up to `maxBatchSize` rows (a request without a shared dimension 0 counts as one). For a model as
   * code that handles a batch itself (a Python model's `predict_batch`): requests that cannot be concatenated
   * (sequences of different lengths) still share one call, and the model sees where each request starts and ends.
   */
  readonly unmergedBatches?: boolean;
  /**
   * Runs a batch of requests whose inputs were validated against `signature`. The scheduler calls it with at
   * most `pipelineDepth` batches at a time per instance and owns the requests until it returns; results
   * are in request order. The instance must not keep references to request tensors after returning.
   * `signal` aborts when every request in the batch has been cancelled or timed out; nobody reads the result then,
   * so an instance may stop early (or skip a batch it has not started) and reject with FERRY_ERR_CANCELLED.
   * `inputsMovable` is true when the caller made the input buffers for this call alone (the scheduler's merged
   * batches) and reads them no more: the instance may then move them to another thread instead of copying them.
   * Request tensors as they came from a client are never movable (a cache, a shadow or a payload log may read them).
   */
  execute(batch: readonly InferRequest[], signal: AbortSignal, inputsMovable?: boolean): Promise<ExecuteResult[]>;
  /** Frees native resources. Called once, after the last execute() has settled. */
  unload(): Promise<void>;
  /**
   * The model's own readiness check (a model as code that holds a connection, a warm cache, a remote it calls),
   * optional: without it a model is ready while a version is AVAILABLE. Called when readiness is asked for, at
   * most once at a time per instance; false, a rejection or no answer within `readiness.check_timeout_ms` makes the
   * model not ready (and the server too, while the model is required). Must not wait on execute().
   */
  ready?(signal: AbortSignal): boolean | Promise<boolean>;
}
