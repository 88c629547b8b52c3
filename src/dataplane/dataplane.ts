import { asFerryError, ferryError, isFerryError, type FerryError } from '../errors/index.ts';
import { assertModelName, CLASS_LABELS_FILE } from '../repository/index.ts';
import type { LoadOptions, ManagedModel, ModelManager, ServedVersion } from '../models/index.ts';
import type { InferRequest, InferResponse, Tensor } from '../tensor/index.ts';
import type { ExecuteResult } from '../runtimes/runtime.ts';
import type { ExchangeObserver } from '../observe/payload-log/exchange.ts';
import type { RequestTrace, RequestTracer } from '../observe/tracing/request-trace.ts';
import type { Feedback, GraphHost } from './graph-host.ts';
import { applyClassification } from './classification.ts';
import { ModelChecks } from './model-checks.ts';
import { NO_OBSERVER, type DataPlaneObserver } from './observer.ts';
import { evaluateReadiness, STRICT_READINESS, type ModelReadinessInput, type ReadinessPolicy, type ReadinessReport } from './readiness.ts';
import { refuseSharedMemory, validateRequest } from './validate.ts';
import { convertInputs } from './convert-inputs.ts';
import type {
  InferContext, ModelMetadata, ModelStatistics, ModelStatus, RepositoryEntry, ServerMetadata,
} from './views.ts';

const UNKNOWN_MODEL_LABEL = '_unknown';
const SERVER_EXTENSIONS = ['binary_tensor_data', 'model_repository', 'statistics', 'schedule_policy', 'model_configuration', 'classification'];
const DEFAULT_CHECK_TIMEOUT_MS = 500;

export interface DataPlaneOptions {
  readonly observer?: DataPlaneObserver;
  readonly serverVersion: string;
  /** Which models readiness requires (default: every model that should be served, as Triton's strict readiness). */
  readonly readiness?: ReadinessPolicy;
  /** How long a model's own readiness check may take before it counts as not ready. */
  readonly checkTimeoutMs?: number;
  /** Takes every exchange with its payloads (the payload log); absent, nothing is built for it. */
  readonly exchanges?: ExchangeObserver | undefined;
  /** Starts request traces; absent (tracing off), no trace is ever made. */
  readonly tracer?: RequestTracer | undefined;
}

/**
 * The one protocol-neutral entry point: every adapter (V2 REST/gRPC, TF Serving, Seldon, MLflow) and every
 * graph node calls these methods; none of them decides anything about models on its own.
 */
export class DataPlane {
  readonly #manager: ModelManager;
  readonly #observer: DataPlaneObserver;
  readonly #serverVersion: string;
  readonly #readiness: ReadinessPolicy;
  readonly #checks: ModelChecks;
  readonly #exchanges: ExchangeObserver | undefined;
  readonly #tracer: RequestTracer | undefined;
  readonly #traces = new WeakMap<object, RequestTrace>();
  #started = false;
  #stopping = false;
  readonly #degraded = new Map<string, Readonly<Record<string, unknown>>>();
  #graphs: GraphHost | undefined;

  constructor(manager: ModelManager, options: DataPlaneOptions) {
    this.#manager = manager;
    this.#observer = options.observer ?? NO_OBSERVER;
    this.#serverVersion = options.serverVersion;
    this.#readiness = options.readiness ?? STRICT_READINESS;
    this.#checks = new ModelChecks(options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
    this.#exchanges = options.exchanges;
    this.#tracer = options.tracer;
  }

  /**
   * The trace of a request that carried these W3C trace-context headers, or undefined when tracing is off or the
   * request is not sampled. The adapter passes it to decode(), infer() and encode(), puts `traceparent` on the
   * answer, and ends it with the answer's status. `startMs` (performance.now()) is when the request arrived.
   */
  startTrace(name: string, protocol: string, traceparent: unknown, tracestate: unknown, startMs?: number): RequestTrace | undefined {
    if (this.#tracer === undefined) return undefined;
    return this.#tracer.start(name, protocol, typeof traceparent === 'string' ? traceparent : undefined, typeof tracestate === 'string' ? tracestate : undefined, startMs);
  }

  /** Keeps a request's trace with an object of the request (its raw HTTP request) for a later traceOf(). */
  attachTrace(carrier: object, trace: RequestTrace): void {
    this.#traces.set(carrier, trace);
  }

  traceOf(carrier: object): RequestTrace | undefined {
    return this.#tracer === undefined ? undefined : this.#traces.get(carrier);
  }

  /** Runs an adapter's encoding of an answer, as the `encode` span of its trace when it has one. */
  encode<T>(trace: RequestTrace | undefined, encode: () => T): T {
    return trace === undefined ? encode() : trace.phase('encode', encode);
  }

  /** encode() for an encoder that yields to the event loop while it writes a large answer. */
  async encodeAsync<T>(trace: RequestTrace | undefined, encode: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await encode();
    } finally {
      trace?.record('encode', started, performance.now());
    }
  }

  /** Serves inference graphs beside the models (set once the graphs, which call this data plane, exist). */
  setGraphs(graphs: GraphHost | undefined): void {
    this.#graphs = graphs;
  }

  #graph(name: string): GraphHost | undefined {
    return this.#graphs !== undefined && this.#graphs.has(name) ? this.#graphs : undefined;
  }

  /** Marks the end of start-up: the first repository scan has finished (what the startup probe reports). */
  setReady(started: boolean): void {
    this.#started = started;
  }

  beginShutdown(): void {
    this.#stopping = true;
  }

  /**
   * Marks a component degraded (detail) or healthy again (undefined). Degraded is not unready: the server keeps
   * serving what it has loaded, and readiness says what is wrong.
   */
  setDegraded(component: string, detail: Readonly<Record<string, unknown>> | undefined): void {
    if (detail === undefined) this.#degraded.delete(component);
    else this.#degraded.set(component, detail);
  }

  /** Components that are degraded now, with why. */
  degraded(): Readonly<Record<string, Readonly<Record<string, unknown>>>> {
    return Object.fromEntries(this.#degraded);
  }

  /** The process runs and answers; it stays live while draining, so that a probe does not kill a draining server. */
  live(): boolean {
    return true;
  }

  /** Start-up is over: the first repository scan finished. Stays true until the process ends. */
  started(): boolean {
    return this.#started;
  }

  async ready(): Promise<boolean> {
    return (await this.readiness()).ready;
  }

  /**
   * Whether the server should get traffic, and why not: started, not draining, every required model with an
   * AVAILABLE version whose own readiness check (if it has one) passes, and at least `min_ready` models ready.
   */
  async readiness(): Promise<ReadinessReport> {
    const models = await Promise.all(this.#manager.models().map((model) => this.#modelReadiness(model)));
    const graphs = this.#graphs;
    if (graphs !== undefined) for (const name of graphs.names()) models.push({ name, expected: true, unavailable: graphs.unavailable(name) });
    return evaluateReadiness({ started: this.#started, stopping: this.#stopping, models }, this.#readiness);
  }

  async #modelReadiness(model: ManagedModel): Promise<ModelReadinessInput> {
    const expected = model.inRepository && !model.explicitlyUnloaded;
    const served = model.latestAvailable();
    if (!served) return { name: model.name, expected, unavailable: whyUnavailable(model) };
    return { name: model.name, expected, unavailable: undefined, check: await this.#checks.check(served.instances) };
  }

  serverMetadata(): ServerMetadata {
    return { name: 'ferry', version: this.#serverVersion, extensions: SERVER_EXTENSIONS };
  }

  modelMetadata(name: string, ref: { version?: string | undefined; label?: string | undefined } = {}): ModelMetadata {
    const graph = this.#graph(name);
    if (graph !== undefined) return graph.metadata(name);
    const served = this.#resolve(name, ref);
    const model = this.#manager.model(name);
    const signature = served.instance!.signature;
    const versions = [...model.versions.values()].filter((v) => v.available).map((v) => String(v.version)).sort((a, b) => Number(a) - Number(b));
    const maxRows = served.config.max_request_rows;
    return {
      name, versions, platform: signature.platform, inputs: signature.inputs, outputs: signature.outputs,
      ...(signature.inputExample === undefined ? {} : { input_example: signature.inputExample }),
      ...(maxRows === undefined ? {} : { maxRequestRows: maxRows }),
    };
  }

  /**
   * 'convert' when the model takes any numeric datatype for its FP32/FP64 inputs (the signature's `numericInputs`),
   * so that a graph may feed it numbers of another datatype; undefined for a graph or a model that does not.
   */
  numericInputs(name: string, ref: { version?: string | undefined; label?: string | undefined } = {}): 'convert' | undefined {
    if (this.#graph(name) !== undefined) return undefined;
    return this.#resolve(name, ref).instance!.signature.numericInputs;
  }

  /** The name of the model's class labels file when it has one (Triton's label_filename), else undefined. */
  classLabelFile(name: string): string | undefined {
    return this.#manager.model(assertModelName(name)).classLabels === undefined ? undefined : CLASS_LABELS_FILE;
  }

  /** The version a request naming `ref` would run on now (a label's, the default label's, the newest); undefined for a graph. */
  servedVersion(name: string, ref: { version?: string | undefined; label?: string | undefined } = {}): string | undefined {
    if (this.#graph(name) !== undefined) return undefined;
    return String(this.#resolve(name, ref).version);
  }

  /** True when the named version (or, with none named, any version) is AVAILABLE; unknown names throw 404. */
  modelReady(name: string, ref: { version?: string | undefined; label?: string | undefined } = {}): boolean {
    const graph = this.#graph(name);
    if (graph !== undefined) return graph.unavailable(name) === undefined;
    try {
      this.#resolve(name, ref);
      return true;
    } catch (error) {
      if (isFerryError(error) && error.code === 'FERRY_ERR_MODEL_NOT_READY') return false;
      throw error;
    }
  }

  modelStatus(name: string): ModelStatus {
    const graph = this.#graph(name);
    if (graph !== undefined) {
      const why = graph.unavailable(name) ?? graph.staleReason(name);
      return { name, versions: [{ version: '1', state: graph.unavailable(name) === undefined ? 'AVAILABLE' : 'LOADING', ...(why ? { reason: why } : {}) }], labels: {} };
    }
    assertModelName(name);
    const model = this.#manager.model(name);
    const versions = [...model.versions.values()]
      .sort((a, b) => b.version - a.version)
      .map((v) => ({ version: String(v.version), state: v.state, ...(v.reason ? { reason: v.reason } : {}) }));
    const labels = Object.fromEntries(Object.entries(model.labels).map(([label, v]) => [label, String(v)]));
    return { name, versions, labels, ...(model.configError ? { config_error: model.configError } : {}) };
  }

  async infer(name: string, request: InferRequest, ctx: InferContext): Promise<InferResponse> {
    const graph = this.#graph(name);
    if (graph !== undefined) return this.#inferGraph(graph, name, request, ctx);
    const started = performance.now();
    let served: ServedVersion | undefined;
    try {
      if (this.#stopping) throw ferryError('FERRY_ERR_SHUTTING_DOWN');
      served = this.#resolve(name, ctx);
      const instance = served.instance!;
      if (ctx.trace !== undefined) ctx.trace.annotate({ 'ferry.model': name, 'ferry.model_version': String(served.version) });
      refuseSharedMemory(request);
      validateRequest(name, instance.signature, request, served.config.max_request_rows);
      const converted = convertInputs(instance.signature, request);
      // Resolve and enqueue in the same tick: a version that starts unloading later still finishes this request.
      let result: ExecuteResult;
      try {
        result = await served.executor!.enqueue(converted, { deadline: ctx.deadline, signal: ctx.signal, trace: ctx.trace });
      } catch (error) {
        throw isFerryError(error) ? error : ferryError('FERRY_ERR_EXECUTION_FAILED', { model: name, detail: (error as Error).message }, error);
      }
      const response: InferResponse = {
        modelName: name,
        modelVersion: String(served.version),
        ...(request.id !== undefined ? { id: request.id } : {}),
        ...(result.parameters ? { parameters: result.parameters } : {}),
        outputs: applyClassification(selectOutputs(result.outputs, request), request, instance.signature.outputs, this.#manager.model(name).classLabels),
      };
      const elapsed = this.#finish(served, name, ctx.protocol, 200, started, rowsOf(request, instance.maxBatchSize));
      if (this.#exchanges !== undefined) this.#logExchange(name, served, ctx.protocol, request, response, undefined, started, elapsed);
      return response;
    } catch (error) {
      const failure = asFerryError(error);
      const elapsed = this.#finish(served, name, ctx.protocol, failure.http, started, 0);
      if (this.#exchanges !== undefined) this.#logExchange(name, served, ctx.protocol, request, undefined, failure, started, elapsed);
      throw failure;
    }
  }

  async #inferGraph(graph: GraphHost, name: string, request: InferRequest, ctx: InferContext): Promise<InferResponse> {
    const started = performance.now();
    try {
      if (this.#stopping) throw ferryError('FERRY_ERR_SHUTTING_DOWN');
      if (ctx.trace !== undefined) ctx.trace.annotate({ 'ferry.model': name, 'ferry.graph': name });
      const response = await graph.infer(name, request, ctx);
      const elapsed = this.#finish(undefined, name, ctx.protocol, 200, started, 0);
      if (this.#exchanges !== undefined) this.#logExchange(name, undefined, ctx.protocol, request, response, undefined, started, elapsed);
      return response;
    } catch (error) {
      const failure = asFerryError(error);
      const elapsed = this.#finish(undefined, name, ctx.protocol, failure.http, started, 0);
      if (this.#exchanges !== undefined) this.#logExchange(name, undefined, ctx.protocol, request, undefined, failure, started, elapsed);
      throw failure;
    }
  }

  /**
   * Feedback on an answer: a graph credits the arms that answered (bandits learn from it); a plain model only has
   * to exist. Returns the routing the feedback was credited to.
   */
  async feedback(name: string, feedback: Feedback): Promise<{ readonly routing: Readonly<Record<string, string>> }> {
    const graph = this.#graph(name);
    if (graph !== undefined) return graph.feedback(name, feedback);
    this.modelStatus(name);
    return { routing: {} };
  }

  /** A graph's route (router → arm name) as arm indices (Seldon's gRPC `meta.routing`); empty for a model. */
  armIndices(name: string, route: Readonly<Record<string, string>>): Record<string, number> {
    return this.#graph(name)?.armIndices(name, route) ?? {};
  }

  #logExchange(
    model: string, served: ServedVersion | undefined, protocol: string, request: InferRequest | undefined, response: InferResponse | undefined,
    failure: FerryError | undefined, started: number, durationMs: number,
  ): void {
    try {
      this.#exchanges!.log({
        model, version: served ? String(served.version) : '', protocol, request, response,
        error: failure ? { code: failure.code, status: failure.http, message: failure.message } : undefined,
        startedAt: performance.timeOrigin + started, durationMs,
      });
    } catch {
      // the payload log never fails a request
    }
  }

  /**
   * Throws FERRY_ERR_QUEUE_FULL when the version a request would run on cannot take it now, so that an adapter can
   * answer 429 before it reads and decodes the body. Any other problem (unknown model, ...) is left for infer().
   */
  refuseIfSaturated(name: string, ref: { version?: string | undefined; label?: string | undefined }, protocol: string): void {
    // A graph has no queue of its own: its nodes' models shed as they are called.
    if (this.#graph(name) !== undefined) return;
    this.#countingFailure(name, protocol, () => this.#checkTarget(name, ref));
    let served: ServedVersion;
    try {
      served = this.#resolve(name, ref);
    } catch {
      return;
    }
    const refused = served.executor!.refusal();
    if (refused) {
      this.#finish(served, name, protocol, refused.http, performance.now(), 0);
      throw refused;
    }
  }

  /**
   * Runs an adapter's decoding of a request for `model` (and the version or label `ref` names): an unknown target
   * is reported first, whatever else is wrong with the body (404 before 400, as TF Serving and Triton answer); a
   * failure is counted against the model and protocol (it never reaches infer()) and comes back as a catalogue error.
   */
  decode<T>(model: string, protocol: string, decode: () => T, trace?: RequestTrace, ref: { version?: string | undefined; label?: string | undefined } = {}): T {
    return this.#countingFailure(model, protocol, () => {
      this.#checkTarget(model, ref);
      return trace === undefined ? decode() : trace.phase('decode', decode);
    });
  }

  #countingFailure<T>(model: string, protocol: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.#decodeFailed(model, protocol, error);
    }
  }

  /** 404 for an unknown model, version or label; a request without a model name is left to its decoder to refuse. */
  #checkTarget(name: string, ref: { version?: string | undefined; label?: string | undefined }): void {
    if (name === '' || this.#graph(name) !== undefined) return;
    assertModelName(name);
    this.#manager.checkTarget(name, ref);
  }

  /** decode() for a decoder that yields to the event loop between chunks of a large body (CSV). */
  async decodeAsync<T>(
    model: string, protocol: string, decode: () => Promise<T>, trace?: RequestTrace, ref: { version?: string | undefined; label?: string | undefined } = {},
  ): Promise<T> {
    const started = performance.now();
    try {
      this.#checkTarget(model, ref);
      return await decode();
    } catch (error) {
      throw this.#decodeFailed(model, protocol, error);
    } finally {
      trace?.record('decode', started, performance.now());
    }
  }

  #decodeFailed(model: string, protocol: string, error: unknown): FerryError {
    const failure = asFerryError(error);
    this.#observer.onInfer({ model: this.#metricName(model), version: '', protocol, status: failure.http, seconds: 0 });
    if (this.#exchanges !== undefined) this.#logExchange(this.#metricName(model), undefined, protocol, undefined, undefined, failure, performance.now(), 0);
    return failure;
  }

  repositoryIndex(readyOnly = false): RepositoryEntry[] {
    const entries: RepositoryEntry[] = [];
    for (const name of this.#graphs?.names() ?? []) {
      const why = this.#graphs!.unavailable(name);
      const stale = this.#graphs!.staleReason(name);
      if (why === undefined) entries.push({ name, version: '1', state: 'READY', ...(stale ? { reason: stale } : {}) });
      else if (!readyOnly) entries.push({ name, version: '1', state: 'UNAVAILABLE', reason: why });
    }
    for (const model of this.#manager.models()) {
      if (model.versions.size === 0) {
        if (!readyOnly) entries.push({ name: model.name, state: 'UNAVAILABLE', reason: model.explicitlyUnloaded && !model.configError ? 'unloaded' : model.noVersionReason });
        continue;
      }
      for (const v of [...model.versions.values()].sort((a, b) => a.version - b.version)) {
        if (readyOnly && !v.available) continue;
        // A rejected model.yaml is said beside versions that serve on with the configuration they loaded with.
        const reason = v.reason ?? (model.configError ? `serving with the configuration it loaded with; ${model.configError}` : undefined);
        entries.push({ name: model.name, version: String(v.version), state: v.available ? 'READY' : v.state, ...(reason ? { reason } : {}) });
      }
    }
    // Folders the scan left out are listed with why, never dropped silently.
    if (!readyOnly) for (const skipped of this.#manager.skipped()) entries.push({ name: skipped.path, state: 'UNAVAILABLE', reason: skipped.reason });
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Repository load: with a configuration standing for model.yaml and/or uploaded version files (LoadOptions). */
  async loadModel(name: string, options: LoadOptions = {}): Promise<void> {
    assertModelName(name);
    await this.#manager.load(name, options);
  }

  async unloadModel(name: string): Promise<void> {
    assertModelName(name);
    await this.#manager.unload(name);
  }

  statistics(name?: string, version?: string): ModelStatistics[] {
    const models = name === undefined ? this.#manager.models() : [this.#manager.model(assertModelName(name))];
    const out: ModelStatistics[] = [];
    for (const model of models) {
      for (const v of model.versions.values()) {
        if (version !== undefined && String(v.version) !== version) continue;
        const s = v.stats;
        out.push({
          name: model.name,
          version: String(v.version),
          last_inference: s.lastInference,
          inference_count: s.inferenceCount,
          execution_count: s.executionCount,
          inference_stats: {
            success: { ...s.success }, fail: { ...s.fail }, queue: { ...s.queue },
            // compute_input and compute_output are left out: they are not timed apart from the execution, and a
            // figure of zero would read as measured.
            compute_infer: { ...s.computeInfer },
          },
          batch_stats: [...s.batches.entries()].sort((a, b) => a[0] - b[0]).map(([size, d]) => ({ batch_size: size, compute_infer: { ...d } })),
        });
      }
    }
    if (name !== undefined && version !== undefined && out.length === 0) throw ferryError('FERRY_ERR_VERSION_NOT_FOUND', { model: name, version });
    return out;
  }

  #resolve(name: string, ref: { version?: string | undefined; label?: string | undefined }): ServedVersion {
    assertModelName(name);
    return this.#manager.resolve(name, ref);
  }

  /** Names clients make up (unknown models) are counted under one label, so they cannot grow the metric series. */
  #metricName(model: string): string {
    return this.#manager.has(model) || this.#graph(model) !== undefined ? model : UNKNOWN_MODEL_LABEL;
  }

  /** Counts one answer in the version's statistics and the observer's metrics; returns its latency in ms. */
  #finish(served: ServedVersion | undefined, model: string, protocol: string, status: number, started: number, rows: number): number {
    const elapsed = performance.now() - started;
    if (served) {
      const s = served.stats;
      const target = status === 200 ? s.success : s.fail;
      target.count += 1;
      target.ns += Math.round(elapsed * 1e6);
      if (status === 200) {
        s.inferenceCount += rows;
        s.lastInference = Date.now();
      }
    }
    this.#observer.onInfer({ model: this.#metricName(model), version: served ? String(served.version) : '', protocol, status, seconds: elapsed / 1000 });
    return elapsed;
  }
}

/** Why a model has no AVAILABLE version, in the words an operator reads in readiness detail. */
function whyUnavailable(model: ManagedModel): string {
  if (model.explicitlyUnloaded) return 'unloaded on request';
  if (!model.inRepository) return 'removed from the repository';
  const newest = [...model.versions.values()].sort((a, b) => b.version - a.version)[0];
  if (newest) return `version ${newest.version} is ${newest.state}${newest.reason ? `: ${newest.reason}` : ''}`;
  return model.noVersionReason;
}

function rowsOf(request: InferRequest, maxBatchSize: number): number {
  return maxBatchSize > 0 ? (request.inputs[0]?.shape[0] ?? 1) : 1;
}

/** The outputs a request asked for, in the order it asked; all of them when it named none. */
function selectOutputs(outputs: readonly Tensor[], request: InferRequest): readonly Tensor[] {
  if (!request.outputs || request.outputs.length === 0) return outputs;
  return request.outputs.map((wanted) => {
    const found = outputs.find((t) => t.name === wanted.name);
    if (!found) throw ferryError('FERRY_ERR_INTERNAL', { detail: `runtime did not produce output '${wanted.name}'` });
    return found;
  });
}
