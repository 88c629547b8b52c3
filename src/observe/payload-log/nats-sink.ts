import type { CloudEvent } from 'cloudevents';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import type { PayloadSink } from './sink.ts';

export interface NatsSinkOptions {
  readonly url: string;
  readonly subject: string;
  /**
   * Publish through JetStream (each event acknowledged by the stream that stores it) into this stream, created
   * with the subject when it does not exist; undefined publishes on core NATS (fire and forget).
   */
  readonly stream?: string | undefined;
}

/** One message per event on a NATS subject: the structured-mode CloudEvent as JSON. */
export function natsSink(options: NatsSinkOptions): PayloadSink {
  let connection: Promise<{ nc: NatsConnection; js: JetStreamClient | undefined }> | undefined;
  const connectOnce = () => (connection ??= (async () => {
    const nc = await connect({ servers: options.url, reconnect: true, maxReconnectAttempts: -1, name: 'ferry-payload-log' });
    if (options.stream === undefined) return { nc, js: undefined };
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(options.stream);
    } catch {
      await jsm.streams.add({ name: options.stream, subjects: [options.subject] });
    }
    return { nc, js: nc.jetstream() };
  })().catch((error: unknown) => {
    connection = undefined; // try again on the next send
    throw error;
  }));
  const encoder = new TextEncoder();
  return {
    name: 'nats',
    async send(events: readonly CloudEvent<unknown>[]) {
      const { nc, js } = await connectOnce();
      if (js) {
        await Promise.all(events.map((event) => js.publish(options.subject, encoder.encode(JSON.stringify(event)))));
      } else {
        for (const event of events) nc.publish(options.subject, encoder.encode(JSON.stringify(event)));
        await nc.flush();
      }
    },
    async close() {
      const open = connection;
      connection = undefined;
      if (open) await open.then(({ nc }) => nc.drain(), () => undefined);
    },
  };
}
