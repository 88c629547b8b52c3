import type { FerryConfig } from '../../config/index.ts';
import { createOtelTracer } from './otel-tracer.ts';
import type { RequestTracer } from './request-trace.ts';

export type { RequestTrace, RequestTracer, TraceAttributes } from './request-trace.ts';
export { createOtelTracer } from './otel-tracer.ts';

/**
 * The tracer `tracing.enabled` asks for, or undefined (the default: no tracer, and no trace object is ever made).
 * OTEL_SDK_DISABLED=true turns it off whatever the configuration says, as in every OpenTelemetry SDK.
 */
export function createTracing(config: FerryConfig['tracing'], env: NodeJS.ProcessEnv = process.env): RequestTracer | undefined {
  if (!config.enabled || env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  return createOtelTracer();
}
