// Large bodies do not stall the event loop: JSON request bodies are decoded on a decode thread, V2 answers are
// encoded in slices, and a server busy with the largest of them still answers a health check at once.
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../src/errors/index.ts';
import { DEFAULT_LIMITS } from '../src/protocol/http/limits.ts';
import { decodeHere, decodeOffThread, DECODE_THREAD_MIN_BYTES } from '../src/protocol/offload/decode-pool.ts';
import { encodeInferResponse } from '../src/protocol/v2-rest/encode-response.ts';
import { watchEventLoop } from './helpers/event-loop.ts';

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
