import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createServer, loadConfig } from '../src/index.ts';
import { grpcClient } from '../src/protocol/v2-grpc/client.ts';
import { EXAMPLE_MODELS } from './helpers/server.ts';
import { simpleRequest } from './helpers/simple-model.ts';

/** A server whose log lines are collected as parsed JSON. */
async function serveWithLog(accessLog: boolean) {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, any>);
      done();
    },
  });
  const config = loadConfig({ env: {}, overrides: { model_repository: EXAMPLE_MODELS, poll_seconds: 0, access_log: accessLog, http: { port: 0 }, grpc: { port: 0 } } });
  const server = createServer({ config, logger: pino({ level: 'info' }, sink) });
  const ports = await server.start();
  return { server, lines, url: `http://127.0.0.1:${ports.httpPort}`, grpc: `127.0.0.1:${ports.grpcPort}` };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('access log', () => {
  it('writes one line per HTTP request (fast path and Fastify routes alike) and per gRPC call', async () => {
    const { server, lines, url, grpc } = await serveWithLog(true);
    try {
      const body = JSON.stringify(simpleRequest());
      expect((await fetch(`${url}/v2/models/simple/infer?x=1`, { method: 'POST', body })).status).toBe(200);
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${url}/no/such/route`)).status).toBe(404);
      const client = grpcClient('inference.GRPCInferenceService', grpc);
      await client.call('ServerLive');
      await client.call('ModelMetadata', { name: 'missing' }).catch(() => undefined);
      client.close();
      await settle();
      const access = lines.filter((l) => l['msg'] === 'access');
      expect(access).toHaveLength(5);
      expect(access[0]).toMatchObject({ component: 'access', method: 'POST', path: '/v2/models/simple/infer', status: 200, bytes_in: Buffer.byteLength(body), peer: '127.0.0.1' });
      expect(access[0]!['bytes_out']).toBeGreaterThan(100);
      expect(access[0]!['ms']).toBeGreaterThan(0);
      expect(access[1]).toMatchObject({ method: 'GET', path: '/v2/health/ready', status: 200 });
      expect(access[2]).toMatchObject({ method: 'GET', path: '/no/such/route', status: 404 });
      expect(access[3]).toMatchObject({ method: '/inference.GRPCInferenceService/ServerLive', grpc_code: 0 });
      expect(access[4]).toMatchObject({ method: '/inference.GRPCInferenceService/ModelMetadata', grpc_code: 5 });
    } finally {
      await server.stop();
    }
  });

  it('is off by default: no access lines', async () => {
    const { server, lines, url } = await serveWithLog(false);
    try {
      await fetch(`${url}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(simpleRequest()) });
      await fetch(`${url}/v2/health/ready`);
      await settle();
      expect(lines.filter((l) => l['msg'] === 'access')).toEqual([]);
      expect(lines.some((l) => l['msg'] === 'ferry serving')).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
