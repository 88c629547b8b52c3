import {
  defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { RequestTrace, RequestTracer, TraceAttributes } from './request-trace.ts';

const propagator = new W3CTraceContextPropagator();
const origin = performance.timeOrigin;
/** performance.now() ms → epoch ms, the time OpenTelemetry takes as a number. */
const epoch = (ms: number) => origin + ms;

class SpanTrace implements RequestTrace {
  readonly #tracer: Tracer;
  readonly span: Span;
  readonly #context: Context;

  constructor(tracer: Tracer, span: Span, parent: Context) {
    this.#tracer = tracer;
    this.span = span;
    this.#context = trace.setSpan(parent, span);
  }

  get traceparent(): string {
    const { traceId, spanId, traceFlags } = this.span.spanContext();
    return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
  }

  phase<T>(name: string, work: () => T): T {
    const span = this.#tracer.startSpan(name, undefined, this.#context);
    try {
      return work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  record(name: string, startMs: number, endMs: number, attributes?: TraceAttributes): void {
    this.#tracer.startSpan(name, { startTime: epoch(startMs), ...(attributes ? { attributes } : {}) }, this.#context).end(epoch(endMs));
  }

  annotate(attributes: TraceAttributes): void {
    this.span.setAttributes(attributes);
  }

  batch(members: readonly RequestTrace[], startMs: number, endMs: number, attributes: TraceAttributes, error?: string): void {
    const links: Link[] = members.filter((m): m is SpanTrace => m instanceof SpanTrace).map((m) => ({ context: m.span.spanContext() }));
    const shared = this.#tracer.startSpan('batch execute', { startTime: epoch(startMs), attributes, links }, this.#context);
    if (error !== undefined) shared.setStatus({ code: SpanStatusCode.ERROR, message: error });
    shared.end(epoch(endMs));
    const toShared: Link[] = [{ context: shared.spanContext() }];
    for (const member of members) {
      if (member === this || !(member instanceof SpanTrace)) continue;
      const own = this.#tracer.startSpan('batch execute', { startTime: epoch(startMs), attributes, links: toShared }, member.#context);
      if (error !== undefined) own.setStatus({ code: SpanStatusCode.ERROR, message: error });
      own.end(epoch(endMs));
    }
  }

  end(status: number, error?: string): void {
    this.span.setAttribute('http.response.status_code', status);
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, ...(error !== undefined ? { message: error } : {}) });
    this.span.end();
  }
}

export interface OtelTracerOptions {
  /** Where spans go; default: OTLP over HTTP, configured by the standard OTEL_EXPORTER_OTLP_* variables. */
  readonly exporter?: SpanExporter;
}

/**
 * Request traces on the OpenTelemetry SDK: W3C trace context in, a server span per request with children for
 * each phase, exported in batches. The sampler and resource come from the standard variables (OTEL_TRACES_SAMPLER,
 * OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES); the service is `ferry` unless they say
 * otherwise. The provider is this server's own, not registered globally.
 */
export function createOtelTracer(options: OtelTracerOptions = {}): RequestTracer {
  const resource = resourceFromAttributes({ 'service.name': 'ferry' }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(options.exporter ?? new OTLPTraceExporter())] });
  const tracer = provider.getTracer('ferry');
  return {
    start(name, protocol, traceparent, tracestate, startMs) {
      const carrier: Record<string, string> = {};
      if (traceparent !== undefined) carrier['traceparent'] = traceparent;
      if (tracestate !== undefined) carrier['tracestate'] = tracestate;
      const parent = traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
      const span = tracer.startSpan(name, {
        kind: SpanKind.SERVER,
        attributes: { 'rpc.system': protocol === 'v2-grpc' ? 'grpc' : 'http', 'ferry.protocol': protocol },
        ...(startMs !== undefined ? { startTime: epoch(startMs) } : {}),
      }, parent);
      if (!span.isRecording()) {
        span.end();
        return undefined;
      }
      return new SpanTrace(tracer, span, parent);
    },
    // A collector that cannot be reached loses the last spans; it must not fail the server's shutdown.
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}
