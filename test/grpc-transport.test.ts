import { connect as connectHttp2, type ClientHttp2Session, type Settings } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.ts';
import { grpcClient } from '../src/protocol/v2-grpc/index.ts';
import { scratchRepository, startFerry, type RunningFerry } from './helpers/server.ts';
import { SIMPLE_ROW } from './helpers/simple-model.ts';

const MiB = 1024 * 1024;

/** An HTTP/2 connection to the gRPC port with its SETTINGS, and when (ms after connecting) the server sent GOAWAY. */
async function rawSession(port: number): Promise<{ session: ClientHttp2Session; settings: Settings; goaway: Promise<number> }> {
  const opened = performance.now();
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const goaway = new Promise<number>((resolve) => session.once('goaway', () => resolve(performance.now() - opened)));
  const settings = await new Promise<Settings>((resolve) => session.once('remoteSettings', resolve));
  return { session, settings, goaway };
}

const simpleInfer = () => {
  const row = Buffer.from(new Int32Array(SIMPLE_ROW).buffer);
  return {
    model_name: 'simple',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }],
    raw_input_contents: [row, row],
  };
};

describe('gRPC connection management', () => {
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  let idle: RunningFerry;
  let aged: RunningFerry;
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    idle = await startFerry({ model_repository: repository.root, grpc: { max_concurrent_streams: 7, idle_timeout_ms: 500, max_connection_age_ms: 600_000 } });
    aged = await startFerry({ model_repository: repository.root, grpc: { idle_timeout_ms: 600_000, max_connection_age_ms: 800, max_connection_age_grace_ms: 500 } });
  }, 60_000);
  afterAll(async () => {
    await idle?.stop();
    await aged?.stop();
    await repository?.remove();
  });

  it('announces grpc.max_concurrent_streams in its HTTP/2 SETTINGS (default 100)', async () => {
    const configured = await rawSession(idle.ports.grpcPort!);
    expect(configured.settings.maxConcurrentStreams).toBe(7);
    configured.session.destroy();
    const byDefault = await rawSession(aged.ports.grpcPort!);
    expect(byDefault.settings.maxConcurrentStreams).toBe(100);
    byDefault.session.destroy();
  });

  it('closes a connection idle for grpc.idle_timeout_ms with GOAWAY', async () => {
    const { session, goaway } = await rawSession(idle.ports.grpcPort!);
    const after = await goaway;
    expect(after).toBeGreaterThanOrEqual(400);
    expect(after).toBeLessThan(10_000);
    session.destroy();
  }, 20_000);

  it('asks a connection to go away at grpc.max_connection_age_ms, busy or not', async () => {
    const { session, goaway } = await rawSession(aged.ports.grpcPort!);
    // Keep it busy with pings: age counts from the connection's start, whatever it does.
    const pinger = setInterval(() => session.ping(() => undefined), 100);
    const after = await goaway;
    clearInterval(pinger);
    expect(after).toBeGreaterThanOrEqual(600);
    expect(after).toBeLessThan(10_000);
    session.destroy();
  }, 20_000);

  it('defaults: 100 streams, 5 minutes idle, 30 minutes of age with 30 s of grace', () => {
    const config = loadConfig({ env: {}, overrides: {} });
    expect(config.grpc).toMatchObject({ max_concurrent_streams: 100, idle_timeout_ms: 300_000, max_connection_age_ms: 1_800_000, max_connection_age_grace_ms: 30_000 });
  });
});

describe('gRPC calls share the in-flight budget with HTTP', () => {
  let repository: Awaited<ReturnType<typeof scratchRepository>>;
  let ferry: RunningFerry;
  beforeAll(async () => {
    repository = await scratchRepository(['simple']);
    ferry = await startFerry({ model_repository: repository.root, limits: { inflight_bytes: 4 * MiB } });
  }, 60_000);
  afterAll(async () => {
    await ferry?.stop();
    await repository?.remove();
  });

  it('refuses a call with UNAVAILABLE and retry-after while HTTP bodies fill the budget, and serves it once they are gone', async () => {
    const client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
    try {
      // An HTTP request that declared the whole budget and is still sending its body; the server's 100 Continue says
      // it has admitted it, the budget taken.
      const holder: Socket = await new Promise((resolve) => {
        let received = '';
        const socket = connectTcp(ferry.ports.httpPort, '127.0.0.1', () => {
          socket.write(`POST /v2/models/simple/infer HTTP/1.1\r\nhost: x\r\ncontent-length: ${4 * MiB}\r\nexpect: 100-continue\r\n\r\n{"inputs":`);
        });
        socket.on('data', (d: Buffer) => {
          received += d.toString();
          if (received.includes('HTTP/1.1 100 Continue\r\n')) resolve(socket);
        });
      });
      const refused = await client.call('ModelInfer', simpleInfer()).then(() => undefined, (error: ServiceError) => error);
      expect(refused?.code).toBe(14); // UNAVAILABLE
      expect(refused?.details).toMatch(/^server busy: .*limits\.inflight_bytes/);
      expect(refused?.metadata.get('retry-after')).toEqual(['1']);
      expect(refused?.metadata.get('ferry-error-code')).toEqual(['FERRY_ERR_SERVER_BUSY']);
      holder.destroy();
      // Served again once the server has seen the holder go.
      let answer: { raw_output_contents: Buffer[] } | undefined;
      for (const deadline = Date.now() + 10_000; answer === undefined && Date.now() < deadline;) {
        answer = await client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', simpleInfer()).catch(() => undefined);
        if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(answer?.raw_output_contents).toHaveLength(2);
    } finally {
      client.close();
    }
  }, 30_000);

  it('refuses a message larger than the whole budget after its length is known', async () => {
    const client = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
    try {
      const big = { ...simpleInfer(), raw_input_contents: [Buffer.alloc(5 * MiB), Buffer.alloc(64)] };
      const refused = await client.call('ModelInfer', big).then(() => undefined, (error: ServiceError) => error);
      expect(refused?.code).toBe(14);
      expect(refused?.details).toMatch(/a request of \d+ bytes does not fit in the 4194304 bytes/);
      const answer = await client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', simpleInfer());
      expect(answer.raw_output_contents).toHaveLength(2);
    } finally {
      client.close();
    }
  }, 30_000);
});
