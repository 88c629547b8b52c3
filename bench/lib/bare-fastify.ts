// The baseline: a bare Fastify route that parses the same JSON body and answers a fixed 60-byte JSON document.
import { createServer } from 'node:http';
import { fastify } from 'fastify';
import { listenLikeFerry } from './listen-like-ferry.ts';

const FIXED = '{"model_name":"simple","model_version":"1","outputs":["ok"]}';
if (Buffer.byteLength(FIXED) !== 60) throw new Error(`baseline body is ${Buffer.byteLength(FIXED)} bytes, not 60`);

const app = fastify({ logger: false });
app.post('/infer', async (_request, reply) => reply.header('content-type', 'application/json').send(FIXED));
// Fastify passes reusePort on to Node's listen.
const { port } = await listenLikeFerry(app.server, (options) => app.listen(options), () => createServer((req, res) => app.routing(req, res)));
console.log(JSON.stringify({ msg: 'bare fastify ready', port }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
