// Large bodies do not stall the event loop: JSON request bodies are decoded on a decode thread, V2 answers are
// encoded in slices, and a server busy with the largest of them still answers a health check at once.
import http from 'node:http';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../src/errors/index.ts';
import { DEFAULT_LIMITS } from '../src/protocol/http/limits.ts';
import { decodeHere, decodeOffThread, DECODE_THREAD_MIN_BYTES } from '../src/protocol/offload/decode-pool.ts';
import { encodeInferResponse } from '../src/protocol/v2-rest/encode-response.ts';
import { watchEventLoop } from './helpers/event-loop.ts';
import { startFerryProcess, type FerryProcess } from './helpers/ferry-process.ts';
import { EXAMPLE_MODELS } from './helpers/server.ts';

/** A V2 JSON body of `count` FP32 digits 0-9, two bytes each. */
function digitsBody(count: number): Buffer {
  const digits = new Array<string>(count);
  for (let i = 0; i < count; i++) digits[i] = String(i % 10);
  return Buffer.from(`{"inputs":[{"name":"x","datatype":"FP32","shape":[${count}],"data":[${digits.join(',')}]}]}`);
}

describe('the decode thread', () => {
  it('decodes a large V2 body to the request the event loop would decode, while the loop keeps turning', async () => {
    const body = digitsBody(2 * 1024 * 1024);
    expect(body.length).toBeGreaterThan(DECODE_THREAD_MIN_BYTES);
    const here = await watchEventLoop(async () => decodeHere('v2', body, { headerLength: undefined, limits: DEFAULT_LIMITS }));
    const there = await watchEventLoop(() => decodeOffThread('v2', body, { headerLength: undefined, limits: DEFAULT_LIMITS }));
    const data = there.result.request.inputs[0]!.data as Float32Array;
    expect(data).toBeInstanceOf(Float32Array);
    expect(data).toEqual(here.result.request.inputs[0]!.data);
    expect([data[0], data[7], data.length]).toEqual([0, 7, 2 * 1024 * 1024]);
    // On the event loop the decode is one step as long as the whole decode; off it, the loop waits only for slices.
    expect(here.longestGapMs).toBeGreaterThan(here.elapsedMs * 0.9);
    expect(there.longestGapMs).toBeLessThan(here.longestGapMs / 4);
  }, 120_000);

  it('brings BYTES elements back whole, and refuses a bad body with the error the event loop would give', async () => {
    const words = Array.from({ length: 200_000 }, (_, i) => (i % 3 === 0 ? '' : `word-${i}`));
    const bytesBody = Buffer.from(JSON.stringify({ inputs: [{ name: 's', datatype: 'BYTES', shape: [words.length], data: words }] }));
    expect(bytesBody.length).toBeGreaterThan(DECODE_THREAD_MIN_BYTES);
    const { request } = await decodeOffThread('v2', bytesBody, { headerLength: undefined, limits: DEFAULT_LIMITS });
    const elements = request.inputs[0]!.data as Uint8Array[];
    expect(elements).toHaveLength(words.length);
    expect([0, 1, 2, 199_999].map((i) => Buffer.from(elements[i]!).toString())).toEqual(['', 'word-1', 'word-2', 'word-199999']);

    const truncated = bytesBody.subarray(0, bytesBody.length - 3);
    const refusal = (work: () => unknown) => Promise.resolve().then(work).then(() => undefined, (error: unknown) => error);
    const [inline, offThread] = await Promise.all([
      refusal(() => decodeHere('v2', truncated, { headerLength: undefined, limits: DEFAULT_LIMITS })),
      refusal(() => decodeOffThread('v2', truncated, { headerLength: undefined, limits: DEFAULT_LIMITS })),
    ]);
    expect(isFerryError(offThread) && isFerryError(inline)).toBe(true);
    expect(offThread).toMatchObject({ code: 'FERRY_ERR_MALFORMED_BODY', http: 400, message: (inline as Error).message });

    const deep = Buffer.from(`{"inputs":${'['.repeat(200)}${' '.repeat(DECODE_THREAD_MIN_BYTES)}${']'.repeat(200)}}`);
    await expect(decodeOffThread('v2', deep, { headerLength: undefined, limits: DEFAULT_LIMITS })).rejects.toMatchObject({
      code: 'FERRY_ERR_LIMIT_EXCEEDED', message: expect.stringContaining('limits.max_json_depth'),
    });
  }, 120_000);
});

describe('V2 answers', () => {
  it('are encoded in slices that yield to the event loop, to the JSON one join would give', async () => {
    const count = 2_000_000;
    const y = Float32Array.from({ length: count }, (_, i) => (i % 1000) / 8);
    y[5] = Number.NaN;
    const response = { modelName: 'm', modelVersion: '1', outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [count], data: y }] };
    const { result, elapsedMs, longestGapMs } = await watchEventLoop(() => encodeInferResponse(response, { inputs: [] }, DEFAULT_LIMITS));
    expect(result.body.chunks.length).toBeGreaterThan(1);
    const text = Buffer.concat(result.body.chunks).toString();
    expect(text.length).toBe(result.body.length);
    const expected = Array.from(y, (v) => (Number.isNaN(v) ? null : v));
    expect(JSON.parse(text)).toEqual({ model_name: 'm', model_version: '1', outputs: [{ name: 'y', datatype: 'FP32', shape: [count], data: expected }] });
    // Joined in one step, the longest gap is the whole encoding.
    expect(longestGapMs).toBeLessThan(elapsedMs / 4);
  }, 120_000);
});

describe('a server decoding and encoding a large V2 JSON body', () => {
  let ferry: FerryProcess;
  let repository: string;

  beforeAll(async () => {
    repository = await mkdtemp(path.join(tmpdir(), 'ferry-stall-'));
    await cp(path.join(EXAMPLE_MODELS, 'half_plus_two'), path.join(repository, 'half_plus_two'), { recursive: true });
    // onnxruntime on a worker thread: what the event loop does is the protocol's work alone.
    await writeFile(path.join(repository, 'half_plus_two', 'model.yaml'), 'options:\n  execution: worker\n');
    ferry = await startFerryProcess({ repository, startTimeoutMs: 150_000 });
  }, 180_000);

  afterAll(async () => {
    await ferry?.stop();
    await rm(repository, { recursive: true, force: true });
  });

  it('answers /v2/health/live meanwhile within a quarter of the large request\'s time', async () => {
    const count = 2 * 1024 * 1024;
    const body = digitsBody(count);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let probing = true;
    let slowestProbeMs = 0;
    let probes = 0;
    const probe = (async () => {
      while (probing) {
        const began = performance.now();
        await new Promise<void>((resolve, reject) => {
          http.get(`${ferry.url}/v2/health/live`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
        });
        slowestProbeMs = Math.max(slowestProbeMs, performance.now() - began);
        probes++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const began = performance.now();
    const answer = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = http.request(`${ferry.url}/v2/models/half_plus_two/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const requestMs = performance.now() - began;
    probing = false;
    await probe;
    agent.destroy();

    expect(answer.status).toBe(200);
    const y = (JSON.parse(answer.body.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    expect(y).toHaveLength(count);
    expect([y[0], y[3], y[count - 1]]).toEqual([2, 3.5, ((count - 1) % 10) / 2 + 2]);
    // Parsed and joined on the event loop, one step took most of the request's time and no probe got through it.
    expect(probes).toBeGreaterThan(3);
    expect(slowestProbeMs).toBeLessThan(requestMs / 4);
  }, 300_000);
});
