import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.ts';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

interface Dribble {
  /** When the server closed the connection, in ms after it was opened. */
  readonly closedAfterMs: number;
  /** What the server wrote before closing. */
  readonly received: string;
}

/**
 * Opens a connection, writes `prefix` at once and then `text` one byte every `everyMs` (then keeps quiet), until
 * the server closes it.
 */
function dribble(port: number, text: string, everyMs: number, giveUpMs: number, prefix = ''): Promise<Dribble> {
  return new Promise((resolve, reject) => {
    const opened = performance.now();
    let received = '';
    let at = 0;
    let ticker: NodeJS.Timeout | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(prefix);
      ticker = setInterval(() => {
        if (at < text.length && socket.writable) socket.write(text[at++]!);
      }, everyMs);
    });
    const giveUp = setTimeout(() => {
      clearInterval(ticker);
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms (sent ${at} bytes)`));
    }, giveUpMs);
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: performance.now() - opened, received });
    });
  });
}

describe('HTTP timeouts hold on every route, the V2 fast path included', () => {
  let ferry: RunningFerry;
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repository.root, http: { headers_timeout_ms: 1000, request_timeout_ms: 2000, keep_alive_timeout_ms: 1000 } });
  }, 60_000);
  afterAll(async () => {
    await ferry?.stop();
    await repository?.remove();
  });

  const port = () => ferry.ports.httpPort;
  const body = JSON.stringify(simpleRequest());

  it('cuts off a body sent byte by byte to the fast path (408) while other clients are answered', async () => {
    const head = `POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const slow = dribble(port(), body, 50, 20_000, head);
    // Others meanwhile: answered at once, one after another.
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const cut = await slow;
    expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(cut.closedAfterMs).toBeLessThan(10_000);
  }, 30_000);

  it('cuts off headers sent byte by byte (after the headers timeout)', async () => {
    const head = 'POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\nx-padding: ' + 'a'.repeat(500) + '\r\n\r\n';
    const cut = await dribble(port(), head, 20, 20_000);
    expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(cut.closedAfterMs).toBeLessThan(10_000);
  }, 30_000);

  it('closes a connection that sends nothing after the headers timeout', async () => {
    const cut = await dribble(port(), '', 1000, 20_000);
    expect(cut.received).toMatch(/^(HTTP\/1\.1 408 [^]*)?$/); // Node may say 408 as it closes
    expect(cut.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(cut.closedAfterMs).toBeLessThan(10_000);
  }, 30_000);

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const head = `POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const socket = connect(port(), '127.0.0.1');
    const opened = performance.now();
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write(head);
    const closedAfterMs = await new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - opened)));
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(10_000);
  }, 30_000);

  it('defaults: 10 s for headers, 120 s for a whole request, 72 s for idle keep-alive connections', () => {
    const config = loadConfig({ env: {}, overrides: {} });
    expect(config.http).toMatchObject({ headers_timeout_ms: 10_000, request_timeout_ms: 120_000, keep_alive_timeout_ms: 72_000 });
  });
});
