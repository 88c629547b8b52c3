import { ferryError } from '../../errors/index.ts';
import type { InferExchange } from '../../observe/payload-log/exchange.ts';
import type { RequestTrace, RequestTracer, TraceAttributes } from '../../observe/tracing/request-trace.ts';
import type { InferRequest, InferResponse } from '../../tensor/index.ts';
import type { Feedback, GraphHost } from '../graph-host.ts';
import type { InferEvent } from '../observer.ts';
import type { InferContext, ModelMetadata } from '../views.ts';

/** A trace that records what the data plane does with it. */
export class RecordedTrace implements RequestTrace {
  readonly traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  readonly phases: string[] = [];
  readonly spans: { name: string; startMs: number; endMs: number }[] = [];
  readonly annotations: TraceAttributes[] = [];

  phase<T>(name: string, work: () => T): T {
    this.phases.push(name);
    return work();
  }

  record(name: string, startMs: number, endMs: number): void {
    this.spans.push({ name, startMs, endMs });
  }

  annotate(attributes: TraceAttributes): void {
    this.annotations.push(attributes);
  }

  batch(): void {}
  end(): void {}
}

/** A tracer that samples every request and keeps the arguments each start() was given. */
export class RecordingTracer implements RequestTracer {
  readonly started: unknown[][] = [];

  start(name: string, protocol: string, traceparent: string | undefined, tracestate: string | undefined, startMs?: number): RequestTrace {
    this.started.push([name, protocol, traceparent, tracestate, startMs]);
    return new RecordedTrace();
  }

  async shutdown(): Promise<void> {}
}

/** Keeps every metrics event and payload-log exchange. */
export class Recorders {
  readonly events: InferEvent[] = [];
  readonly exchanges: InferExchange[] = [];
  readonly observer = { onInfer: (event: InferEvent) => this.events.push(event) };
  readonly exchangeLog = { log: (exchange: InferExchange) => this.exchanges.push(exchange) };
}

/** Graphs as the data plane sees them: each answers with its own name, or fails with `fails`. */
export class FakeGraphs implements GraphHost {
  readonly calls: { name: string; request: InferRequest; ctx: InferContext }[] = [];
  readonly feedbacks: { name: string; feedback: Feedback }[] = [];
  fails: Error | undefined;
  readonly #graphs: Readonly<Record<string, { unavailable?: string; stale?: string }>>;

  constructor(graphs: Readonly<Record<string, { unavailable?: string; stale?: string }>>) {
    this.#graphs = graphs;
  }

  has(name: string): boolean {
    return name in this.#graphs;
  }

  names(): readonly string[] {
    return Object.keys(this.#graphs);
  }

  async infer(name: string, request: InferRequest, ctx: InferContext): Promise<InferResponse> {
    this.calls.push({ name, request, ctx });
    if (this.fails) throw this.fails;
    return { modelName: name, modelVersion: '1', outputs: [] };
  }

  metadata(name: string): ModelMetadata {
    return { name, versions: ['1'], platform: 'graph', inputs: [], outputs: [] };
  }

  unavailable(name: string): string | undefined {
    return this.#graphs[name]?.unavailable;
  }

  staleReason(name: string): string | undefined {
    return this.#graphs[name]?.stale;
  }

  async feedback(name: string, feedback: Feedback): Promise<{ readonly routing: Readonly<Record<string, string>> }> {
    this.feedbacks.push({ name, feedback });
    if (!this.has(name)) throw ferryError('FERRY_ERR_MODEL_NOT_FOUND', { model: name });
    return { routing: { router: 'arm-a' } };
  }

  armIndices(_name: string, route: Readonly<Record<string, string>>): Record<string, number> {
    return Object.fromEntries(Object.keys(route).map((router, i) => [router, i + 1]));
  }
}
