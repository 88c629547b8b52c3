import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';

/**
 * Several listening sockets on one port, for bursts of new connections.
 *
 * Node's event loop accepts one new connection per listening socket per turn of the loop (libuv's 2022 change
 * "unix: don't accept() connections in a loop", libuv/libuv#3696). A model server's turns are long (a batch
 * computes, dozens of answers are written): 128 clients connecting at once waited in the kernel's accept queue,
 * one accepted every 5-9 ms, the last after 640 ms, with their requests already sent. With SO_REUSEPORT (Linux)
 * the kernel spreads new connections over N sockets of this process, and each turn accepts one from each.
 * Elsewhere Ferry listens on one socket.
 */
export const reusePortSupported = process.platform === 'linux';

/** How many sockets to listen on, given the setting and the platform. */
export function acceptSocketCount(configured: number): number {
  return reusePortSupported ? Math.max(1, configured) : 1;
}

/**
 * Fails as a plain listen would when something already holds host:port. SO_REUSEPORT would otherwise let this
 * server share the port with another Ferry of the same user, each getting part of the connections, where the
 * operator expects "address in use".
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Opens `count - 1` more listening sockets on the address `primary` listens on (which must have been opened with
 * `reusePort: true`), each an HTTP server made by `make` with the primary's request handling. They copy the
 * primary's timeouts and its `clientError` handlers; the caller closes them with the primary.
 */
export async function openExtraAcceptors(primary: Server, make: () => Server, count: number): Promise<Server[]> {
  const address = primary.address();
  if (count <= 1 || address === null || typeof address === 'string') return [];
  const extras: Server[] = [];
  try {
    for (let i = 1; i < count; i++) {
      const server = make();
      server.keepAliveTimeout = primary.keepAliveTimeout;
      server.headersTimeout = primary.headersTimeout;
      server.requestTimeout = primary.requestTimeout;
      server.timeout = primary.timeout;
      server.maxRequestsPerSocket = primary.maxRequestsPerSocket;
      for (const listener of primary.listeners('clientError')) server.on('clientError', listener as (...args: unknown[]) => void);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address.address, port: address.port, reusePort: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      extras.push(server);
    }
  } catch (error) {
    await closeServers(extras);
    throw error;
  }
  return extras;
}

/** Stops the servers listening and waits until their connections have ended. */
export function closeServers(servers: readonly Server[]): Promise<void> {
  return Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined);
}
