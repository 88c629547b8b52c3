/** Span attribute values, as OpenTelemetry takes them. */
export type TraceAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * One request's trace, handed from the protocol adapter through the data plane, the cache and the scheduler. Times
 * are `performance.now()` milliseconds (the scheduler's monotonic clock). Absent (undefined) when tracing is off
 * or the request was not sampled: callers check for it, and nothing is built for an untraced request.
 */
export interface RequestTrace {
  /** W3C `traceparent` of the request's server span, for the response. */
  readonly traceparent: string;
  /** Runs `work` inside a child span named `name` (decode, encode); a throw marks the span as an error. */
  phase<T>(name: string, work: () => T): T;
  /** A child span that already happened (cache look-up, queue wait). */
  record(name: string, startMs: number, endMs: number, attributes?: TraceAttributes): void;
  /** Adds attributes to the server span (the model and version it resolved to). */
  annotate(attributes: TraceAttributes): void;
  /**
   * The execution of a batch this request ran in: one `batch execute` span linked to every member's span, and in
   * each member's own trace a `batch execute` child linked to it. Called on one member with all of them.
   */
  batch(members: readonly RequestTrace[], startMs: number, endMs: number, attributes: TraceAttributes, error?: string): void;
  /** Ends the server span with the answer's HTTP-style status (>= 500 marks it as an error). */
  end(status: number, error?: string): void;
}

/** Starts request traces; one per server. */
export interface RequestTracer {
  /**
   * The trace of a request that arrived with these W3C headers (a new trace when they are absent or invalid), or
   * undefined when the sampler leaves it out. `startMs` (performance.now() ms) is when its headers arrived.
   */
  start(name: string, protocol: string, traceparent: string | undefined, tracestate: string | undefined, startMs?: number): RequestTrace | undefined;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}
