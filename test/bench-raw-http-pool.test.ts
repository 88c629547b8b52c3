import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawHttpPool, requestBytes } from '../bench/lib/raw-http-pool.ts';

/** The overload bench's statuses and timings come from this client, so it is checked against node:http's server. */

let server: http.Server | undefined;
let pool: RawHttpPool | undefined;

afterEach(async () => {
  pool?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
  pool = undefined;
});

async function serve(handler: http.RequestListener): Promise<{ url: URL; connections: () => number }> {
  let connections = 0;
  server = http.createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/models/m/infer?x=1`);
  pool = new RawHttpPool(Number(url.port), url.hostname);
  return { url, connections: () => connections };
}

describe('bench raw HTTP/1.1 pool', () => {
  it('sends the head and body it was given, reads statuses, and reuses keep-alive sockets', async () => {
    const seen: { url: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const { url, connections } = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        seen.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(seen.length % 2 === 0 ? 201 : 200, { 'content-length': 5 }).end('hello');
      });
    });
    const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const request = requestBytes(url, { 'ferry-timeout-ms': '100' }, body);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await pool!.request(request));
    expect(answers.map((a) => a.status)).toEqual([200, 201, 200, 201]);
    expect(answers.every((a) => a.error === undefined)).toBe(true);
    expect(connections()).toBe(1);
    expect(seen[0]!.url).toBe('/v2/models/m/infer?x=1');
    expect(seen[0]!.headers['ferry-timeout-ms']).toBe('100');
    expect(seen[0]!.headers['content-length']).toBe(String(body.length));
    expect(seen.every((s) => s.body.equals(body))).toBe(true);
  });

  it('opens a socket per request in flight, and none for an answer that said connection: close', async () => {
    const { url, connections } = await serve((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-length': 0, connection: req.headers['x-close'] ? 'close' : 'keep-alive' }).end(), 20));
    });
    const keep = requestBytes(url, {}, Buffer.from('x'));
    expect((await Promise.all([pool!.request(keep), pool!.request(keep), pool!.request(keep)])).map((a) => a.status)).toEqual([200, 200, 200]);
    expect(connections()).toBe(3);
    const close = requestBytes(url, { 'x-close': '1' }, Buffer.from('x'));
    expect((await pool!.request(close)).status).toBe(200); // takes an idle socket, which the server then closes
    expect((await pool!.request(keep)).status).toBe(200); // another idle one
    expect((await pool!.request(keep)).status).toBe(200);
    expect(connections()).toBe(3);
  });

  it('keeps a socket whose answer came before its body was read, and the next request on it is answered', async () => {
    let calls = 0;
    const { url, connections } = await serve((req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'content-length': 2, 'retry-after': '1' }).end('{}'); // before the body, which is drained
        req.resume();
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-length': 2 }).end('ok'));
    });
    const request = requestBytes(url, {}, Buffer.alloc(1 << 20, 1));
    expect((await pool!.request(request)).status).toBe(429);
    expect((await pool!.request(request)).status).toBe(200);
    expect(connections()).toBe(1);
  });

  it('reports an answer it cannot frame, and a connection that closed with no answer, as failures', async () => {
    const { url } = await serve((req, res) => {
      req.resume();
      if (req.headers['x-drop']) return req.socket.destroy();
      res.writeHead(200, { 'transfer-encoding': 'chunked' }).end('chunked body');
    });
    const chunked = await pool!.request(requestBytes(url, {}, Buffer.from('x')));
    expect(chunked.status).toBe(-1);
    expect(chunked.error).toMatch(/unreadable answer head/);
    const dropped = await pool!.request(requestBytes(url, { 'x-drop': '1' }, Buffer.from('x')));
    expect(dropped.status).toBe(-1);
    expect(dropped.error).toBeDefined();
  });
});
