import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRepository, type ScratchRepository } from './fixtures/repos/materialize.ts';
import { logitsMismatch, metricSample, mlpBinaryRequest, pickRows, referenceRows, type Row } from './fixtures/repos/reference-rows.ts';
import { postJson, startFerry, type RunningFerry } from './helpers/server.ts';

/** The in-process prediction cache end to end: a model with `cache: {ttl_s: 60}` (no cache.url: memory LRU). */
describe('prediction cache (in-process)', () => {
  let repo: ScratchRepository;
  let ferry: RunningFerry;
  const rows = referenceRows('mlp');
  beforeAll(async () => {
    repo = await materializeRepository('cache', { mlp_cached: 'mlp' });
    ferry = await startFerry({ model_repository: repo.root });
  });
  afterAll(async () => {
    await ferry?.stop();
    await repo?.remove();
  });

  const infer = (mine: readonly Row[], extra: Record<string, unknown> = {}) => postJson(`${ferry.url}/v2/models/mlp_cached/infer`, {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [mine.length, 256], data: mine.flatMap((r) => r.inputs['input']!) }],
    ...extra,
  });
  const hits = async () => metricSample(await (await fetch(`${ferry.url}/metrics`)).text(), 'ferry_cache_requests_total', { model: 'mlp_cached', result: 'hit' });
  const misses = async () => metricSample(await (await fetch(`${ferry.url}/metrics`)).text(), 'ferry_cache_requests_total', { model: 'mlp_cached', result: 'miss' });

  it('answers a repeated request from the cache with the same numbers, and counts hits and misses', async () => {
    const mine = pickRows(rows, 1, 4);
    const first = await infer(mine);
    expect(first.status).toBe(200);
    expect(first.body.parameters?.['ferry_cache']).toBeUndefined();
    expect(logitsMismatch(first.body.outputs[0].data, mine)).toBeUndefined();
    expect(await misses()).toBe(1);

    // The store is not awaited on the response path: a second request may race it, so ask until it hits.
    let repeat = await infer(mine);
    for (let i = 0; i < 20 && repeat.body.parameters?.['ferry_cache'] !== 'hit'; i++) repeat = await infer(mine);
    expect(repeat.status).toBe(200);
    expect(repeat.body.parameters['ferry_cache']).toBe('hit');
    expect(repeat.body.outputs).toEqual(first.body.outputs);
    expect(await hits()).toBe(1);

    // Other rows, or the same rows in a different order, are other keys.
    const reordered = [...mine].reverse();
    const other = await infer(reordered);
    expect(other.body.parameters?.['ferry_cache']).toBeUndefined();
    expect(logitsMismatch(other.body.outputs[0].data, reordered)).toBeUndefined();
    expect(await hits()).toBe(1);
  });

  it('keys on the requested outputs and request parameters, and serves hits over the binary extension too', async () => {
    const mine = pickRows(rows, 0, 3);
    const selected = { outputs: [{ name: 'logits' }] };
    const miss = await infer(mine, selected);
    expect(miss.body.parameters?.['ferry_cache']).toBeUndefined();
    let hit = await infer(mine, selected);
    for (let i = 0; i < 20 && hit.body.parameters?.['ferry_cache'] !== 'hit'; i++) hit = await infer(mine, selected);
    expect(hit.body.parameters['ferry_cache']).toBe('hit');
    expect(logitsMismatch(hit.body.outputs[0].data, mine)).toBeUndefined();

    const tagged = await infer(mine, { ...selected, parameters: { tag: 'a' } });
    expect(tagged.status).toBe(200);
    expect(tagged.body.parameters?.['ferry_cache']).toBeUndefined();

    // A binary request whose answer is binary: the cached bytes must be the computed bytes.
    const binaryRows = pickRows(rows, 2, 2);
    const request = mlpBinaryRequest(binaryRows, { binary_data_output: true });
    const ask = async () => {
      const response = await fetch(`${ferry.url}/v2/models/mlp_cached/infer`, { method: 'POST', ...request });
      const bytes = Buffer.from(await response.arrayBuffer());
      const headerLength = Number(response.headers.get('inference-header-content-length'));
      return { status: response.status, header: JSON.parse(bytes.subarray(0, headerLength).toString('utf8')), raw: bytes.subarray(headerLength) };
    };
    const computed = await ask();
    expect(computed.status).toBe(200);
    const logits = new Float32Array(computed.raw.buffer.slice(computed.raw.byteOffset, computed.raw.byteOffset + computed.raw.byteLength));
    expect(logitsMismatch([...logits], binaryRows)).toBeUndefined();
    let cached = await ask();
    for (let i = 0; i < 20 && cached.header.parameters?.['ferry_cache'] !== 'hit'; i++) cached = await ask();
    expect(cached.header.parameters['ferry_cache']).toBe('hit');
    expect(cached.raw.equals(computed.raw)).toBe(true);

    // The key ignores the wire encoding: the same tensors sent as JSON (JSON answer) hit the entry too.
    const asJson = await infer(binaryRows);
    expect(asJson.body.parameters?.['ferry_cache']).toBe('hit');
    expect(asJson.body.outputs[0].data).toEqual([...logits]);
  });
});
