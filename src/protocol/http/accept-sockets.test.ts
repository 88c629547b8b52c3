import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, closeServers, openExtraAcceptors, reusePortSupported } from './accept-sockets.ts';

const open: Server[] = [];
afterEach(async () => {
  await closeServers(open.splice(0));
});

type IndexedSocket = Socket & { serverIndex?: number };
const answerIndex = (req: IncomingMessage, res: ServerResponse) => res.end(String((req.socket as IndexedSocket).serverIndex));

/** A server answering which socket took the connection, listening with SO_REUSEPORT on 127.0.0.1. */
async function primaryServer(port = 0): Promise<Server> {
  const server = createServer(answerIndex);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port, reusePort: true }, resolve));
  open.push(server);
  return server;
}

async function withExtras(count: number): Promise<{ servers: Server[]; port: number }> {
  const primary = await primaryServer();
  const extras = await openExtraAcceptors(primary, () => createServer(answerIndex), count);
  open.push(...extras);
  const servers = [primary, ...extras];
  servers.forEach((server, index) => server.on('connection', (socket: IndexedSocket) => (socket.serverIndex = index)));
  return { servers, port: (primary.address() as { port: number }).port };
}

/**
 * Opens `n` connections at once while the event loop runs turns of ~2 ms of work (as a model server's do), and
 * counts the turns until every connection was accepted.
 */
async function turnsToAccept(servers: readonly Server[], port: number, n: number): Promise<number> {
  let accepted = 0;
  for (const server of servers) server.on('connection', () => accepted++);
  const clients = Array.from({ length: n }, () => connect(port, '127.0.0.1'));
  let turns = 0;
  await new Promise<void>((resolve) => {
    const turn = () => {
      if (accepted >= n) return resolve();
      turns++;
      const until = performance.now() + 2;
      while (performance.now() < until); // the batch a model server would be computing
      setImmediate(turn);
    };
    setImmediate(turn);
  });
  for (const client of clients) client.destroy();
  return turns;
}

describe.runIf(reusePortSupported)('several listening sockets on one port (SO_REUSEPORT)', () => {
  it('accepts a burst of new connections in a few turns of a busy event loop, where one socket takes one a turn', async () => {
    const single = await withExtras(1);
    expect(single.servers).toHaveLength(1);
    const turnsWithOne = await turnsToAccept(single.servers, single.port, 64);
    const eight = await withExtras(8);
    expect(eight.servers).toHaveLength(8);
    const turnsWithEight = await turnsToAccept(eight.servers, eight.port, 64);
    expect(turnsWithOne).toBeGreaterThanOrEqual(48); // libuv: one accept per listening socket per turn
    expect(turnsWithEight).toBeLessThan(turnsWithOne / 2);
  });

  it('answers on every socket with the primary request handling and its timeouts', async () => {
    const primary = await primaryServer();
    primary.keepAliveTimeout = 1234;
    primary.headersTimeout = 4321;
    const extras = await openExtraAcceptors(primary, () => createServer((_req, res) => res.end('extra')), 4);
    open.push(...extras);
    expect(extras.map((s) => [s.keepAliveTimeout, s.headersTimeout])).toEqual(Array(3).fill([1234, 4321]));
    const port = (primary.address() as { port: number }).port;
    const answers = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      expect(response.status).toBe(200);
      answers.add(await response.text());
    }
    expect(answers.has('extra')).toBe(true); // the kernel spread the connections over the sockets
  });

  it('says "address in use" for a port another server holds, shared (SO_REUSEPORT) or not', async () => {
    const shared = await primaryServer();
    const sharedPort = (shared.address() as { port: number }).port;
    await expect(assertPortFree('127.0.0.1', sharedPort)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const plain = createServer();
    await new Promise<void>((resolve) => plain.listen({ host: '127.0.0.1', port: 0 }, resolve));
    open.push(plain);
    await expect(assertPortFree('127.0.0.1', (plain.address() as { port: number }).port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(assertPortFree('127.0.0.1', 0)).resolves.toBeUndefined();
  });

  it('closes every socket it opened', async () => {
    const { servers, port } = await withExtras(4);
    await closeServers(open.splice(0));
    expect(servers.every((s) => !s.listening)).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
