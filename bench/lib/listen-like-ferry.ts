import type { Server } from 'node:http';
import { configSchema } from '../../src/config/schema.ts';
import { acceptSocketCount, openExtraAcceptors } from '../../src/protocol/http/accept-sockets.ts';

/** Options for the primary socket's listen: 127.0.0.1, any port, SO_REUSEPORT when there are several sockets. */
export interface PrimaryListenOptions {
  readonly host: string;
  readonly port: number;
  readonly reusePort: boolean;
}

/**
 * Listens on 127.0.0.1 with as many sockets as Ferry's default `http.accept_sockets`, so that a bench baseline
 * accepts new connections as fast as Ferry does and a ratio compares per-request work. `listen` opens `server`'s
 * socket with the given options (Node's or Fastify's listen); `make` builds each extra socket's server with the
 * same request handling. Resolves with the port and every listening server.
 */
export async function listenLikeFerry(
  server: Server,
  listen: (options: PrimaryListenOptions) => Promise<unknown>,
  make: () => Server,
): Promise<{ port: number; servers: Server[] }> {
  const sockets = acceptSocketCount(configSchema.parse({}).http.accept_sockets);
  await listen({ host: '127.0.0.1', port: 0, reusePort: sockets > 1 });
  const extras = await openExtraAcceptors(server, make, sockets);
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, servers: [server, ...extras] };
}
