import type { CloudEvent } from 'cloudevents';
import type { PayloadSink } from './sink.ts';

export interface HttpSinkOptions {
  readonly url: string;
  /** A send that has no answer within this long fails (and is retried). */
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Batches of CloudEvents POSTed in the CloudEvents HTTP binding's batched mode (`application/cloudevents-batch+json`,
 * a JSON array of structured events). Any answer but 2xx, a connection error or a time-out fails the send.
 */
export function httpSink(options: HttpSinkOptions): PayloadSink {
  return {
    name: 'http',
    async send(events: readonly CloudEvent<unknown>[]) {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8', ...options.headers },
        body: JSON.stringify(events),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer(); // read to the end so the connection is reused
      if (response.status < 200 || response.status > 299) throw new Error(`payload-log sink ${options.url} answered ${response.status}`);
    },
    async close() {},
  };
}
