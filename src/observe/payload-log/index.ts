import { hostname } from 'node:os';
import type { FerryConfig } from '../../config/index.ts';
import { fileSink } from './file-sink.ts';
import { httpSink } from './http-sink.ts';
import { natsSink } from './nats-sink.ts';
import { PayloadLogger } from './payload-logger.ts';
import type { PayloadSink, SinkOutcome } from './sink.ts';

export { PayloadLogger } from './payload-logger.ts';
export type { ExchangeObserver, InferExchange } from './exchange.ts';
export type { PayloadSink, SinkOutcome } from './sink.ts';
export { REQUEST_EVENT_TYPE, RESPONSE_EVENT_TYPE } from './events.ts';

/** The payload log `payload_log` configures, or undefined when it names no sink (the default: off). */
export function createPayloadLogger(
  config: FerryConfig['payload_log'], onOutcome: (sink: string, outcome: SinkOutcome, events: number) => void,
): PayloadLogger | undefined {
  const sinks: PayloadSink[] = [];
  if (config.file) sinks.push(fileSink({ path: config.file.path, maxBytes: config.file.max_bytes, maxFiles: config.file.max_files }));
  if (config.http) sinks.push(httpSink({ url: config.http.url, timeoutMs: config.http.timeout_ms }));
  if (config.nats) sinks.push(natsSink({ url: config.nats.url, subject: config.nats.subject, stream: config.nats.stream }));
  if (sinks.length === 0) return undefined;
  const models = Object.fromEntries(Object.entries(config.models).map(([name, own]) => [name, {
    ...(own.sample_rate !== undefined ? { sampleRate: own.sample_rate } : {}),
    ...(own.redact !== undefined ? { redact: own.redact } : {}),
  }]));
  return new PayloadLogger({
    source: `/ferry/${hostname()}/${process.pid}`,
    sinks,
    delivery: { maxBuffer: config.max_buffer, maxBatch: config.max_batch, maxAttempts: config.max_attempts, retryDelayMs: config.retry_delay_ms, onOutcome },
    defaults: { sampleRate: config.sample_rate, redact: config.redact },
    models,
  });
}
