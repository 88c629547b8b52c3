// The baseline: a bare Fastify route that parses the same JSON body and answers a fixed 60-byte JSON document.
import { createServer } from 'node:http';
import { fastify } from 'fastify';
import { acceptSocketCount, openExtraAcceptors } from '../../src/protocol/http/accept-sockets.ts';

/** As many listening sockets as Ferry's default `http.accept_sockets`, so both accept new connections as fast. */
const ACCEPT_SOCKETS = acceptSocketCount(8);

const FIXED = '{"model_name":"simple","model_version":"1","outputs":["ok"]}';
if (Buffer.byteLength(FIXED) !== 60) throw new Error(`baseline body is ${Buffer.byteLength(FIXED)} bytes, not 60`);

const app = fastify({ logger: false });
app.post('/infer', async (_request, reply) => reply.header('content-type', 'application/json').send(FIXED));
const listenOptions = { host: '127.0.0.1', port: 0, reusePort: ACCEPT_SOCKETS > 1 }; // Fastify passes reusePort on to Node
await app.listen(listenOptions);
await openExtraAcceptors(app.server, () => createServer((req, res) => app.routing(req, res)), ACCEPT_SOCKETS);
const address = app.server.address();
console.log(JSON.stringify({ msg: 'bare fastify ready', port: typeof address === 'object' && address ? address.port : 0 }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
