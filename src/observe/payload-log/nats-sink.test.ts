import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { describe, expect, it } from 'vitest';
import { natsSink } from './nats-sink.ts';
import { runSinkConformance } from './sink.case.ts';

/**
 * The NATS sink against a real server (FERRY_TEST_NATS_URL, default nats://127.0.0.1:4222; `.ci/run` starts one
 * with JetStream). Skipped with a printed reason when unreachable, except under CI=true, where that fails.
 * Each run uses its own subject and stream, and deletes the stream afterwards.
 */
const NATS_URL = process.env['FERRY_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const IN_CI = process.env['CI'] === 'true';

async function unreachableReason(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 1000, reconnect: false });
    await nc.close();
    return undefined;
  } catch (error) {
    return `NATS at ${NATS_URL} is unreachable (${(error as Error).message})`;
  }
}
const unreachable = await unreachableReason();
if (unreachable && !IN_CI) console.warn(`skipping the NATS payload-sink tests: ${unreachable}; set FERRY_TEST_NATS_URL to run them`);

/** Collects what arrives on a subject (core NATS subscription). */
async function collector(subject: string): Promise<{ nc: NatsConnection; sub: Subscription; got: Record<string, unknown>[] }> {
  const nc = await connect({ servers: NATS_URL });
  const sub = nc.subscribe(subject);
  const got: Record<string, unknown>[] = [];
  void (async () => {
    for await (const message of sub) got.push(JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown>);
  })();
  await nc.flush();
  return { nc, sub, got };
}

async function waitFor<T>(items: T[], count: number): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  while (items.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return items;
}

if (!(unreachable !== undefined && !IN_CI)) {
  runSinkConformance({
    name: 'nats (core)',
    async create() {
      const subject = `ferry.test.${randomUUID()}`;
      const c = await collector(subject);
      return { sink: natsSink({ url: NATS_URL, subject }), read: (count) => waitFor(c.got, count), cleanup: () => c.nc.close() };
    },
  });

  runSinkConformance({
    name: 'nats (JetStream)',
    async create() {
      const subject = `ferry.test.${randomUUID()}`;
      const stream = `FERRY_TEST_${randomUUID().replaceAll('-', '')}`;
      const nc = await connect({ servers: NATS_URL });
      const jsm = await nc.jetstreamManager();
      return {
        sink: natsSink({ url: NATS_URL, subject, stream }),
        // Read back from the stream itself: what JetStream acknowledged is stored, in order.
        async read(count) {
          const got: Record<string, unknown>[] = [];
          const info = await jsm.streams.info(stream);
          for (let seq = info.state.first_seq; seq <= info.state.last_seq && got.length < count; seq++) {
            const message = await jsm.streams.getMessage(stream, { seq });
            got.push(JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown>);
          }
          return got;
        },
        async cleanup() {
          await jsm.streams.delete(stream).catch(() => undefined);
          await nc.close();
        },
      };
    },
  });
}

describe.skipIf(unreachable !== undefined && !IN_CI)('nats sink', () => {
  it('creates the JetStream stream it is given when absent, and publishes into an existing one as it is', async () => {
    const subject = `ferry.test.${randomUUID()}`;
    const stream = `FERRY_TEST_${randomUUID().replaceAll('-', '')}`;
    const nc = await connect({ servers: NATS_URL });
    const jsm = await nc.jetstreamManager();
    const { CloudEvent } = await import('cloudevents');
    try {
      const sink = natsSink({ url: NATS_URL, subject, stream });
      await sink.send([new CloudEvent({ id: '1', type: 't', source: '/s' }, false)]);
      await sink.close();
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([subject]);
      expect(info.state.messages).toBe(1);
      const again = natsSink({ url: NATS_URL, subject, stream });
      await again.send([new CloudEvent({ id: '2', type: 't', source: '/s' }, false)]);
      await again.close();
      expect((await jsm.streams.info(stream)).state.messages).toBe(2);
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });

  it('fails a send while the server cannot be reached, and a later send connects again', async () => {
    const { CloudEvent } = await import('cloudevents');
    const dead = natsSink({ url: 'nats://127.0.0.1:1', subject: 'x' });
    await expect(dead.send([new CloudEvent({ id: '1', type: 't', source: '/s' }, false)])).rejects.toThrow();
    await dead.close();
  });
});
