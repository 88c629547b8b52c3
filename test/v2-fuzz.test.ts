import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry, jsonOf } from './helpers/server.ts';

/** A small deterministic PRNG so that a failing mutation can be replayed from the seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ['null', 'true', '-1', '1e309', '"x"', '[]', '{}', '[[[[', '"BYTES"', '"INT64"', '9007199254740993', '-0', '0.5', '"\\u0000"', '{"binary_data_size":7}', '[4294967296]', '"FP16"'];

describe('V2 REST decoder under a few thousand randomly mutated requests', () => {
  let ferry: RunningFerry;
  beforeAll(async () => {
    ferry = await startFerry({ http: { body_limit_bytes: 1024 * 1024 } });
  });
  afterAll(async () => {
    await ferry.stop();
  });

  it('never crashes, never answers 5xx, never hangs', async () => {
    const random = prng(20261123);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const row = Array.from({ length: 16 }, (_, i) => i);
    const seeds = [
      JSON.stringify({ id: 'a', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: row }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: [row] }], outputs: [{ name: 'OUTPUT0' }] }),
      JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [2, 3, 4] }], parameters: { binary_data_output: true } }),
      JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(0.5) }] }),
    ];
    const binaryHeader = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } }] });
    const models = ['simple', 'half_plus_two', 'mlp'];

    const mutate = (text: string): string => {
      let s = text;
      const rounds = 1 + Math.floor(random() * 3);
      for (let r = 0; r < rounds; r++) {
        const at = Math.floor(random() * s.length);
        switch (Math.floor(random() * 6)) {
          case 0: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(random() * 8)); break; // delete
          case 1: s = s.slice(0, at) + pick(TOKENS) + s.slice(at); break; // insert a token
          case 2: s = s.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + s.slice(at + 1); break; // flip a char
          case 3: s = s.slice(0, at); break; // truncate
          case 4: s = s.replace(/\d+/, pick(['-1', '0', '1e9', '99999999', '3.7', '"1"'])); break; // change a number
          default: s = s.replace(/"(INT32|FP32)"/, pick(['"BYTES"', '"BOOL"', '"FP16"', '"INT64"', '"BF16"', '"UINT8"', '"nope"'])); break;
        }
      }
      return s;
    };

    const statuses = new Map<number, number>();
    let sent = 0;
    const total = 3000;
    const worker = async () => {
      while (sent < total) {
        const n = sent++;
        const model = models[n % models.length]!;
        let body: Buffer;
        const headers: Record<string, string> = {};
        if (n % 5 === 0) {
          const header = Buffer.from(mutate(binaryHeader));
          const payload = Buffer.alloc(Math.floor(random() * 24));
          body = Buffer.concat([header, payload]);
          headers['inference-header-content-length'] = random() < 0.8 ? String(header.length) : pick(['-3', '1e3', String(body.length + 1), 'abc', '0']);
        } else {
          body = Buffer.from(mutate(seeds[n % seeds.length]!));
          if (random() < 0.5) headers['content-type'] = pick(['application/json', 'text/plain', 'application/octet-stream']);
        }
        const response = await fetch(`${ferry.url}/v2/models/${model}/infer`, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) throw new Error(`status ${response.status} for ${body.subarray(0, 300).toString()}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const counted = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(counted).toBe(total);
    for (const status of statuses.keys()) expect([200, 400, 404, 413, 415]).toContain(status);
    expect(statuses.get(400)).toBeGreaterThan(total / 3); // most mutations are malformed and must be rejected
    expect(statuses.get(200)).toBeGreaterThan(0); // and some survive as valid requests
    expect((await fetch(`${ferry.url}/v2/health/live`)).status).toBe(200);
    const ok = await fetch(`${ferry.url}/v2/models/half_plus_two/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] }) });
    expect((await jsonOf(ok)).outputs[0].data).toEqual([3]);
  }, 120_000);
});
