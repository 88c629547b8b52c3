import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** The kernel's ephemeral port range (Linux), from which binds to port 0 and outgoing connections take their ports. */
function ephemeralRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && low > 10_001 ? { low, high } : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => resolve(true));
  });
}

/**
 * `count` distinct free ports on `host`, for a server the test starts later and must name first (a documented
 * command, an environment variable). On Linux they lie below the kernel's ephemeral range, so that while the test
 * holds them unbound no other process on the machine is handed one by a bind to port 0 or an outgoing connection;
 * elsewhere they are the kernel's choice.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const range = ephemeralRange();
  const held: Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries === 1000) throw new Error(`no ${count} free ports on ${host} below ${range?.low}`);
      const candidate = range === undefined ? 0 : 10_000 + Math.floor(Math.random() * (range.low - 10_000));
      const server = createServer();
      if (await listen(server, candidate, host)) held.push(server);
    }
    return held.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
