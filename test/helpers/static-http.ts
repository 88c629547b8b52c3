import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

export interface StaticServer {
  readonly url: string;
  /** Requests seen, as "METHOD /path". */
  readonly requests: string[];
  /** Path → where it redirects (301) instead of serving a file. */
  readonly redirects: Map<string, string>;
  close(): Promise<void>;
}

/** Serves the files under `root` over HTTP on an ephemeral loopback port (GET and HEAD, 404 for anything else). */
export async function serveFolder(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const redirects = new Map<string, string>();
  const server: Server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${pathname}`);
    const redirect = redirects.get(pathname);
    if (redirect) {
      res.writeHead(301, { location: redirect }).end();
      return;
    }
    const file = path.join(root, ...decodeURIComponent(pathname).split('/'));
    const info = file.startsWith(root + path.sep) ? await stat(file).catch(() => undefined) : undefined;
    if (!info?.isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`, requests, redirects,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
