// The ceiling baseline of bench/batching.ts: a bare node:http server that reads each request's whole body and
// answers a fixed body of the length and content type of Ferry's answer (no parsing, no model), i.e. what HTTP
// alone costs on this machine. Any path, any method.
//
//   node bench/lib/bare-node-http.ts --bytes 180 --content-type application/octet-stream [--inference-header-length 140]
//
// --inference-header-length adds the V2 binary extension's `inference-header-content-length` answer header, so
// that the answer's headers are as long as Ferry's too.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { listenLikeFerry } from './listen-like-ferry.ts';

const { values } = parseArgs({
  options: {
    'bytes': { type: 'string' },
    'content-type': { type: 'string', default: 'application/json' },
    'inference-header-length': { type: 'string' },
  },
});
const bytes = Number(values.bytes);
if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`--bytes must be a byte count, got ${values.bytes}`);
const FIXED = Buffer.alloc(bytes, 0x20);
const headers: Record<string, string> = { 'content-type': values['content-type'], 'content-length': String(bytes) };
if (values['inference-header-length'] !== undefined) headers['inference-header-content-length'] = values['inference-header-length'];

const answer = (request: http.IncomingMessage, response: http.ServerResponse) => {
  // Read the whole body into one buffer, as a server that decodes it would, then answer.
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    Buffer.concat(chunks);
    response.writeHead(200, headers).end(FIXED);
  });
};
const server = http.createServer(answer);
const { port, servers } = await listenLikeFerry(server, (options) => new Promise<void>((resolve) => server.listen(options, resolve)), () => http.createServer(answer));
console.log(JSON.stringify({ msg: 'bare node http ready', port }));
process.on('SIGTERM', () => {
  for (const s of servers) s.closeAllConnections();
  process.exit(0);
});
