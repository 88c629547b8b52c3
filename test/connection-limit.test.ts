import http2, { type ClientHttp2Session } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';

const MAX = 20;

function open(port: number, write = ''): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (write) socket.write(write);
      socket.resume();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passes; the caller asserts what it then finds. */
async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Resolves once `socket` has received `text` (listen before it can arrive). */
function receives(socket: Socket, text: string): Promise<void> {
  let received = '';
  return new Promise((resolve) => {
    socket.on('data', (d: Buffer) => {
      received += d.toString();
      if (received.includes(text)) resolve();
    });
  });
}

function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve) => (socket.destroyed ? resolve(received) : socket.once('close', () => resolve(received))));
}

describe('limits.max_connections caps HTTP connections over every listening socket', () => {
  let ferry: RunningFerry;
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repository.root, limits: { max_connections: MAX }, http: { headers_timeout_ms: 60_000, request_timeout_ms: 60_000 } });
  }, 60_000);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  afterAll(async () => {
    await ferry?.stop();
    await repository?.remove();
  });

  it('lets a health check in past many idle connections by closing the oldest idle one', async () => {
    for (let i = 0; i < 3 * MAX; i++) sockets.push(await open(ferry.ports.httpPort));
    const health = await fetch(`${ferry.url}/v2/health/live`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
    // The oldest idle ones made room: at most MAX (and the newcomer) stay open.
    const stillOpen = () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    await eventually(() => stillOpen() <= MAX);
    expect(stillOpen()).toBeLessThanOrEqual(MAX);
    expect(sockets[0]!.destroyed || sockets[0]!.readableEnded).toBe(true);
    expect(sockets.at(-1)!.destroyed || sockets.at(-1)!.readableEnded).toBe(false);
  }, 60_000);

  it('refuses a new connection with 503 and Retry-After when every connection has a request in flight', async () => {
    // Each sends its headers and half its body: a request in flight, waiting for the rest. The server's 100 Continue
    // says it has read the headers.
    const head = 'POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n{"inputs":';
    const continued: Promise<void>[] = [];
    for (let i = 0; i < MAX; i++) {
      const socket = await open(ferry.ports.httpPort, head);
      sockets.push(socket);
      continued.push(receives(socket, 'HTTP/1.1 100 Continue\r\n'));
    }
    await Promise.all(continued);
    const refused = await open(ferry.ports.httpPort);
    const answer = await closed(refused);
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(answer).toMatch(/\r\nretry-after: 1\r\n/);
    expect(answer).toContain('server busy: 20 connections are open and none is idle (setting: limits.max_connections');
    // The busy ones were left alone; once they end, connections are let in again.
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
    for (const socket of sockets.splice(0)) socket.destroy();
    let health = 0;
    await eventually(async () => (health = (await fetch(`${ferry.url}/v2/health/live`)).status) === 200);
    expect(health).toBe(200);
  }, 60_000);
});

describe('limits.max_connections counts gRPC connections too', () => {
  let ferry: RunningFerry;
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  const sessions: ClientHttp2Session[] = [];
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repository.root, limits: { max_connections: MAX } });
  }, 60_000);
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await ferry?.stop();
    await repository?.remove();
  });

  /** An HTTP/2 connection to the gRPC port: whether the server took it (its SETTINGS came) or closed it. */
  function grpcConnection(): Promise<{ session: ClientHttp2Session; accepted: boolean }> {
    const session = http2.connect(`http://127.0.0.1:${ferry.ports.grpcPort}`);
    sessions.push(session);
    return new Promise((resolve) => {
      session.once('remoteSettings', () => resolve({ session, accepted: true }));
      session.once('error', () => undefined);
      session.once('close', () => resolve({ session, accepted: false }));
    });
  }

  it('lets MAX gRPC connections in, then refuses both protocols until one closes; a gRPC call works throughout', async () => {
    const opened: { session: ClientHttp2Session; accepted: boolean }[] = [];
    for (let i = 0; i < MAX; i++) opened.push(await grpcConnection());
    expect(opened.every((c) => c.accepted)).toBe(true);
    // gRPC connections are never closed to make room (their calls are invisible here): past the cap, both refuse.
    expect((await grpcConnection()).accepted).toBe(false);
    const http = await open(ferry.ports.httpPort);
    expect(await closed(http)).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*20 connections are open and none is idle/);
    // A call on a connection that was let in is answered.
    const answer = await new Promise<number>((resolve, reject) => {
      const stream = opened[0]!.session.request({ ':method': 'POST', ':path': '/inference.GRPCInferenceService/ServerLive', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('trailers', (trailers) => resolve(Number(trailers['grpc-status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end(Buffer.alloc(5));
    });
    expect(answer).toBe(0);
    // One gone, one more comes in.
    opened[1]!.session.destroy();
    let accepted = false;
    await eventually(async () => (accepted = (await grpcConnection()).accepted));
    expect(accepted).toBe(true);
    expect((await grpcConnection()).accepted).toBe(false);
  }, 60_000);
});
