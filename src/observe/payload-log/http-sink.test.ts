import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { httpSink } from './http-sink.ts';
import { runSinkConformance } from './sink.case.ts';

/** A CloudEvents batch receiver on loopback; `status` decides each answer. */
async function receiver(status: (n: number) => number = () => 202): Promise<{ server: Server; url: string; events: Record<string, unknown>[]; contentTypes: string[] }> {
  const events: Record<string, unknown>[] = [];
  const contentTypes: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status(n++);
      contentTypes.push(String(req.headers['content-type']));
      if (code < 300) events.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>[]));
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, events, contentTypes };
}

runSinkConformance({
  name: 'http',
  async create() {
    const r = await receiver();
    return {
      sink: httpSink({ url: r.url, timeoutMs: 5000 }),
      read: async () => r.events,
      cleanup: () => new Promise<void>((resolve) => r.server.close(() => resolve())),
    };
  },
});

describe('http sink', () => {
  it('posts the CloudEvents batched content type, and fails a send on a non-2xx answer or no answer in time', async () => {
    const r = await receiver((n) => (n === 0 ? 202 : 503));
    const { CloudEvent } = await import('cloudevents');
    const one = new CloudEvent({ id: '1', type: 't', source: '/s' }, false);
    try {
      const sink = httpSink({ url: r.url, timeoutMs: 5000 });
      await sink.send([one]);
      expect(r.contentTypes[0]).toBe('application/cloudevents-batch+json; charset=utf-8');
      await expect(sink.send([one])).rejects.toThrow(/answered 503/);
      const silent = createServer(() => {}); // takes the request, never answers
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const slow = httpSink({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, timeoutMs: 100 });
        const started = performance.now();
        await expect(slow.send([one])).rejects.toThrow();
        expect(performance.now() - started).toBeLessThan(2000);
      } finally {
        silent.closeAllConnections();
        silent.close();
      }
    } finally {
      r.server.close();
    }
  });
});
