import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from '../src/protocol/v2-grpc/codec.ts';
import { EXAMPLE_MODELS, startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * Tracing end to end: a real Ferry exports its spans over OTLP/HTTP to an in-memory receiver (an HTTP server in
 * this test reading OTLP JSON), configured only through the standard OTEL_* variables.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}

const SERVER_KIND = 2;
const MS = 1_000_000n;
const spans: OtlpSpan[] = [];
const resources: Record<string, unknown>[] = [];
let receiver: Server;
let ferry: RunningFerry;
let root: string;

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};
const traceOf = (traceId: string) => spans.filter((s) => s.traceId === traceId);
const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
};
const row = (seed: number) => Array.from({ length: 16 }, (_, i) => seed + i);
const simpleBody = (seed: number) => JSON.stringify({ inputs: [
  { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row(seed) },
  { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: row(0) },
] });

beforeAll(async () => {
  receiver = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const message = JSON.parse(body.toString('utf8')) as { resourceSpans: { resource: Record<string, unknown>; scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const resourceSpans of message.resourceSpans) {
        resources.push(resourceSpans.resource);
        for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  process.env['OTEL_SERVICE_NAME'] = 'ferry-under-test';
  process.env['OTEL_BSP_SCHEDULE_DELAY'] = '50';
  root = await mkdtemp(path.join(tmpdir(), 'ferry-tracing-'));
  await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'simple'), { recursive: true });
  await cp(path.join(EXAMPLE_MODELS, 'simple'), path.join(root, 'cached'), { recursive: true });
  await writeFile(path.join(root, 'cached', 'model.yaml'), 'cache: {ttl_s: 60}\n');
  ferry = await startFerry({
    model_repository: root,
    tracing: { enabled: true },
    // A two-node graph: its nodes are spans of the request's trace.
    graphs: { deployments: { traced_graph: { nodes: [
      { name: 'prep', type: 'transformer', steps: [{ select: ['INPUT0', 'INPUT1'] }] },
      { name: 'add', type: 'model', model: 'simple', inputs: ['prep'] },
    ] } } },
  });
});

afterAll(async () => {
  await ferry?.stop();
  receiver?.close();
  await rm(root, { recursive: true, force: true });
  for (const key of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_BSP_SCHEDULE_DELAY']) delete process.env[key];
});

async function waitForSpans(traceId: string, names: readonly string[]): Promise<OtlpSpan[]> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = traceOf(traceId);
    if (names.every((name) => found.some((s) => s.name === name))) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  return traceOf(traceId);
}

describe('tracing (OpenTelemetry, OTLP)', () => {
  it('keeps the incoming trace id: one trace per request with decode, cache, queue wait, batch execute and encode under the server span', async () => {
    const incoming = newTraceparent();
    const response = await fetch(`${ferry.url}/v2/models/cached/infer`, { method: 'POST', body: simpleBody(1), headers: { traceparent: incoming.header } });
    expect(response.status).toBe(200);
    const answered = response.headers.get('traceparent')!;
    expect(answered).toMatch(new RegExp(`^00-${incoming.traceId}-[0-9a-f]{16}-01$`));
    const names = ['POST /v2/models/{model}/infer', 'decode', 'cache', 'queue wait', 'batch execute', 'encode'];
    const trace = await waitForSpans(incoming.traceId, names);
    expect(trace.map((s) => s.name).sort()).toEqual([...names].sort());
    const server = trace.find((s) => s.kind === SERVER_KIND)!;
    expect(server.name).toBe('POST /v2/models/{model}/infer');
    expect(server.parentSpanId).toBe(incoming.spanId);
    expect(answered.split('-')[2]).toBe(server.spanId);
    expect(attribute(server, 'ferry.model')).toBe('cached');
    expect(attribute(server, 'ferry.model_version')).toBe('1');
    expect(attribute(server, 'http.response.status_code')).toBe(200);
    for (const child of trace.filter((s) => s !== server)) expect(child.parentSpanId, child.name).toBe(server.spanId);
    expect(attribute(trace.find((s) => s.name === 'cache')!, 'ferry.cache.hit')).toBe(false);
    // Phases happen in order, inside the server span.
    const start = (name: string) => BigInt(trace.find((s) => s.name === name)!.startTimeUnixNano);
    expect(start('decode') <= start('cache') && start('cache') <= start('batch execute') && start('batch execute') <= start('encode')).toBe(true);
    expect(BigInt(server.startTimeUnixNano) <= start('decode')).toBe(true);
    expect(resources[0]).toMatchObject({ attributes: expect.arrayContaining([{ key: 'service.name', value: { stringValue: 'ferry-under-test' } }]) });

    // The same request again is a cache hit: no queue, no batch.
    const again = newTraceparent();
    await fetch(`${ferry.url}/v2/models/cached/infer`, { method: 'POST', body: simpleBody(1), headers: { traceparent: again.header } });
    const hit = await waitForSpans(again.traceId, ['POST /v2/models/{model}/infer', 'cache', 'encode']);
    expect(hit.map((s) => s.name).sort()).toEqual(['POST /v2/models/{model}/infer', 'cache', 'decode', 'encode']);
    expect(attribute(hit.find((s) => s.name === 'cache')!, 'ferry.cache.hit')).toBe(true);
  });

  it('links one batch execution to every request it served; each request trace has its own batch execute span', async () => {
    const traces = Array.from({ length: 48 }, newTraceparent);
    const answers = await Promise.all(traces.map((t, i) => fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body: simpleBody(i), headers: { traceparent: t.header } })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const serverSpanOf = new Map<string, OtlpSpan>();
    for (const t of traces) {
      const trace = await waitForSpans(t.traceId, ['POST /v2/models/{model}/infer', 'batch execute', 'encode']);
      expect(trace.filter((s) => s.name === 'batch execute')).toHaveLength(1);
      expect(trace.filter((s) => s.name === 'queue wait')).toHaveLength(1);
      serverSpanOf.set(t.traceId, trace.find((s) => s.kind === SERVER_KIND)!);
    }
    const ours = new Set(traces.map((t) => t.traceId));
    const batchSpans = spans.filter((s) => s.name === 'batch execute' && ours.has(s.traceId));
    const shared = batchSpans.filter((s) => (s.links?.length ?? 0) > 1);
    expect(shared.length, 'some batch merged several requests').toBeGreaterThan(0);
    for (const batch of shared) {
      expect(attribute(batch, 'ferry.batch.requests')).toBe(batch.links!.length);
      for (const link of batch.links!) {
        // Each link is the server span of a request in the batch, whose trace has a batch span linked back.
        expect(serverSpanOf.get(link.traceId)?.spanId).toBe(link.spanId);
        if (link.traceId === batch.traceId) continue;
        const own = traceOf(link.traceId).find((s) => s.name === 'batch execute')!;
        expect(own.links).toEqual([expect.objectContaining({ traceId: batch.traceId, spanId: batch.spanId })]);
        expect(own.startTimeUnixNano).toBe(batch.startTimeUnixNano);
      }
    }
  });

  it('starts a new trace for a request without traceparent, and marks a failed request with its status', async () => {
    const response = await fetch(`${ferry.url}/v2/models/simple/infer`, { method: 'POST', body: '{"inputs": [' });
    expect(response.status).toBe(400);
    const traceparent = response.headers.get('traceparent')!;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceparent.split('-')[1]!;
    const trace = await waitForSpans(traceId, ['POST /v2/models/{model}/infer', 'decode']);
    const server = trace.find((s) => s.kind === SERVER_KIND)!;
    expect(server.parentSpanId ?? '').toBe('');
    expect(attribute(server, 'http.response.status_code')).toBe(400);
    expect(trace.find((s) => s.name === 'decode')!.status?.code).toBe(2); // ERROR
  });

  it('traces gRPC ModelInfer from its metadata and answers traceparent in the initial metadata', async () => {
    const incoming = newTraceparent();
    const client = new Client(`127.0.0.1:${ferry.ports.grpcPort}`, credentials.createInsecure());
    const request = encodeMessage('ModelInferRequest', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: row(5) } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: row(0) } },
      ],
    }, 1 << 20);
    const metadata = new Metadata();
    metadata.set('traceparent', incoming.header);
    let answeredTraceparent: unknown;
    try {
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const call = client.makeUnaryRequest('/inference.GRPCInferenceService/ModelInfer', (b: Buffer) => b, (b: Buffer) => b, request, metadata, {},
          (error, response) => (error ? reject(error) : resolve(response!)));
        call.on('metadata', (m: Metadata) => (answeredTraceparent = m.get('traceparent')[0]));
      });
      expect(decodeMessage<{ model_name: string }>('ModelInferResponse', answer, 1 << 20).model_name).toBe('simple');
    } finally {
      client.close();
    }
    const trace = await waitForSpans(incoming.traceId, ['inference.GRPCInferenceService/ModelInfer', 'decode', 'queue wait', 'batch execute', 'encode']);
    const server = trace.find((s) => s.kind === SERVER_KIND)!;
    expect(server.name).toBe('inference.GRPCInferenceService/ModelInfer');
    expect(server.parentSpanId).toBe(incoming.spanId);
    expect(attribute(server, 'rpc.system')).toBe('grpc');
    expect(answeredTraceparent).toBe(`00-${incoming.traceId}-${server.spanId}-01`);
  });

  it('traces each request of a gRPC ModelStreamInfer stream as its own trace under the stream\'s traceparent', async () => {
    const incoming = newTraceparent();
    const client = new Client(`127.0.0.1:${ferry.ports.grpcPort}`, credentials.createInsecure());
    const message = (seed: number) => encodeMessage('ModelInferRequest', {
      model_name: 'simple',
      id: `stream-${seed}`,
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: row(seed) } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: row(0) } },
      ],
    }, 1 << 20);
    const metadata = new Metadata();
    metadata.set('traceparent', incoming.header);
    try {
      const answers = await new Promise<Buffer[]>((resolve, reject) => {
        const got: Buffer[] = [];
        const call = client.makeBidiStreamRequest('/inference.GRPCInferenceService/ModelStreamInfer', (b: Buffer) => b, (b: Buffer) => b, metadata, {});
        call.on('data', (b: Buffer) => got.push(b));
        call.on('error', reject);
        call.on('end', () => resolve(got));
        call.write(message(1));
        call.write(message(2));
        call.end();
      });
      const ids = answers.map((b) => decodeMessage<{ infer_response: { id: string } }>('ModelStreamInferResponse', b, 1 << 20).infer_response.id);
      expect(ids).toEqual(['stream-1', 'stream-2']);
    } finally {
      client.close();
    }
    const name = 'inference.GRPCInferenceService/ModelStreamInfer';
    const deadline = Date.now() + 10_000;
    const servers = () => traceOf(incoming.traceId).filter((s) => s.kind === SERVER_KIND && s.name === name);
    while (servers().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(servers()).toHaveLength(2);
    for (const server of servers()) {
      expect(server.parentSpanId).toBe(incoming.spanId);
      const children = traceOf(incoming.traceId).filter((s) => s.parentSpanId === server.spanId).map((s) => s.name);
      expect(children).toEqual(expect.arrayContaining(['decode', 'queue wait', 'encode']));
    }
  });

  it('traces each node of an inference graph as a span of the request, with the graph, node and node type', async () => {
    const incoming = newTraceparent();
    const response = await fetch(`${ferry.url}/v2/models/traced_graph/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json', traceparent: incoming.header }, body: simpleBody(7),
    });
    expect(response.status).toBe(200);
    const sums = ((await response.json()) as { outputs: { name: string; data: number[] }[] }).outputs.find((o) => o.name === 'OUTPUT0')!.data;
    expect(sums).toEqual(row(7).map((x, i) => x + row(0)[i]!));
    const trace = await waitForSpans(incoming.traceId, ['graph node prep', 'graph node add', 'batch execute']);
    const server = trace.find((s) => s.kind === SERVER_KIND && s.parentSpanId === incoming.spanId)!;
    expect(server).toBeDefined();
    for (const [name, type] of [['prep', 'transformer'], ['add', 'model']] as const) {
      const span = trace.find((s) => s.name === `graph node ${name}`)!;
      expect(span, name).toBeDefined();
      expect(attribute(span, 'ferry.graph')).toBe('traced_graph');
      expect(attribute(span, 'ferry.graph.node')).toBe(name);
      expect(attribute(span, 'ferry.graph.node_type')).toBe(type);
      // Within the server span, give or take the millisecond its clock is read at.
      expect(BigInt(span.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(server.startTimeUnixNano) - MS);
      expect(BigInt(span.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano) + MS);
    }
    // The transformer runs before the model it feeds.
    const [prep, add] = ['prep', 'add'].map((n) => trace.find((s) => s.name === `graph node ${n}`)!);
    expect(BigInt(prep!.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(add!.startTimeUnixNano) + MS);
  });

  it('traces the other REST protocols through their routes (TF Serving here)', async () => {
    const incoming = newTraceparent();
    const response = await fetch(`${ferry.url}/v1/models/simple:predict`, {
      method: 'POST', headers: { traceparent: incoming.header },
      body: JSON.stringify({ inputs: { INPUT0: [row(2)], INPUT1: [row(0)] } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('traceparent')).toMatch(new RegExp(`^00-${incoming.traceId}-`));
    const trace = await waitForSpans(incoming.traceId, ['POST /v1/models/*', 'decode', 'queue wait', 'batch execute', 'encode']);
    expect(trace.find((s) => s.kind === SERVER_KIND)!.name).toBe('POST /v1/models/*');
  });
});
