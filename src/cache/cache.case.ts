/**
 * The shared conformance suite every PredictionCache runs (STYLE.md 4). Call it from the implementation's own test
 * file: `runCacheConformance({ name, create })`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Datatype, Tensor } from '../tensor/index.ts';
import type { CacheHooks, CachedResult, PredictionCache } from './types.ts';

export interface CacheConformanceOptions {
  readonly name: string;
  /** A fresh cache reporting to `hooks`. `budgetBytes`, when given, asks for a cache that holds about that much. */
  create(hooks: CacheHooks, budgetBytes?: number): Promise<PredictionCache>;
  /** Whether the implementation evicts by a byte budget it enforces itself (else overwrite is tested alone). */
  readonly evicts: boolean;
  /** Every key this run uses starts with this, so runs sharing a server do not see each other's entries. */
  readonly keyPrefix?: string;
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** One tensor of every datatype, with edge values, written from plain literals (not produced by Ferry code). */
export const EVERY_DATATYPE: readonly Tensor[] = [
  { name: 'bool', datatype: 'BOOL', shape: [2, 2], data: Uint8Array.of(1, 0, 0, 1) },
  { name: 'u8', datatype: 'UINT8', shape: [3], data: Uint8Array.of(0, 128, 255) },
  { name: 'u16', datatype: 'UINT16', shape: [2], data: Uint16Array.of(0, 65535) },
  { name: 'u32', datatype: 'UINT32', shape: [2], data: Uint32Array.of(1, 4294967295) },
  { name: 'u64', datatype: 'UINT64', shape: [2], data: BigUint64Array.of(0n, 18446744073709551615n) },
  { name: 'i8', datatype: 'INT8', shape: [2], data: Int8Array.of(-128, 127) },
  { name: 'i16', datatype: 'INT16', shape: [2], data: Int16Array.of(-32768, 32767) },
  { name: 'i32', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(-2147483648, 2147483647) },
  { name: 'i64', datatype: 'INT64', shape: [2], data: BigInt64Array.of(-9223372036854775808n, 9223372036854775807n) },
  { name: 'f16', datatype: 'FP16', shape: [3], data: Uint16Array.of(0x3c00, 0x7e00, 0xfc00) }, // 1, NaN, -Inf
  { name: 'bf16', datatype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc000) }, // 1, -2
  { name: 'f32', datatype: 'FP32', shape: [2, 1], data: Float32Array.of(0.1, -Infinity), parameters: { unit: 'prob' } },
  { name: 'f64', datatype: 'FP64', shape: [3], data: Float64Array.of(Math.PI, NaN, -0) },
  { name: 'str', datatype: 'BYTES', shape: [3], data: [bytes('héllo'), new Uint8Array(0), Uint8Array.of(0, 255, 10)] },
  { name: 'empty', datatype: 'FP32', shape: [0, 4], data: new Float32Array(0) },
  { name: 'scalar', datatype: 'INT32', shape: [], data: Int32Array.of(7) },
];

const plain = (t: Tensor) => ({
  name: t.name,
  datatype: t.datatype as Datatype,
  shape: [...t.shape],
  parameters: t.parameters,
  data: Array.isArray(t.data) ? t.data.map((b) => Array.from(b)) : Array.from(t.data as ArrayLike<number | bigint>, (v) => (Object.is(v, -0) ? '-0' : v)),
});

function result(value: number, size = 16): CachedResult {
  return { outputs: [{ name: 'y', datatype: 'FP32', shape: [size], data: new Float32Array(size).fill(value) }] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runCacheConformance(opts: CacheConformanceOptions): void {
  describe(`prediction cache conformance: ${opts.name}`, () => {
    const counts = { hit: 0, miss: 0, eviction: 0, error: 0 };
    const hooks: CacheHooks = {
      onHit: () => counts.hit++, onMiss: () => counts.miss++, onEviction: () => counts.eviction++, onError: () => counts.error++,
    };
    const open: PredictionCache[] = [];
    const create = async (budget?: number) => {
      const cache = await opts.create(hooks, budget);
      Object.assign(counts, { hit: 0, miss: 0, eviction: 0, error: 0 }); // creation may probe the backend
      open.push(cache);
      return cache;
    };
    const run = `${opts.keyPrefix ?? ''}${Date.now().toString(36)}${Math.random().toString(36).slice(2)}:`;
    const key = (name: string) => run + name;

    afterEach(async () => {
      for (const cache of open.splice(0)) await cache.close();
    });

    it('misses an unknown key and counts the miss', async () => {
      const cache = await create();
      expect(await cache.get(key('unknown'))).toBeUndefined();
      expect(counts).toMatchObject({ miss: 1, hit: 0, error: 0 });
    });

    it('returns what was set and counts the hit', async () => {
      const cache = await create();
      await cache.set(key('a'), result(1.5), 60);
      const got = await cache.get(key('a'));
      expect(Array.from(got!.outputs[0]!.data as Float32Array)).toEqual(new Array(16).fill(1.5));
      expect(got!.outputs[0]!.shape).toEqual([16]);
      expect(counts).toMatchObject({ hit: 1, miss: 0, error: 0 });
    });

    it('round-trips every datatype, shapes, tensor and result parameters bit for bit', async () => {
      const cache = await create();
      const value: CachedResult = { outputs: EVERY_DATATYPE, parameters: { model_kind: 'test', n: 3, flag: true } };
      await cache.set(key('all'), value, 60);
      const got = await cache.get(key('all'));
      expect(got!.parameters).toEqual(value.parameters);
      expect(got!.outputs.map(plain)).toEqual(EVERY_DATATYPE.map(plain));
      for (const [i, tensor] of got!.outputs.entries()) {
        expect(tensor.data.constructor).toBe(EVERY_DATATYPE[i]!.data.constructor);
      }
    });

    it('keeps what was stored when the caller reuses its buffers afterwards', async () => {
      const cache = await create();
      const value = result(2);
      await cache.set(key('copy'), value, 60);
      (value.outputs[0]!.data as Float32Array).fill(9);
      const got = await cache.get(key('copy'));
      expect((got!.outputs[0]!.data as Float32Array)[0]).toBe(2);
    });

    it('forgets an entry after its TTL', async () => {
      const cache = await create();
      await cache.set(key('ttl'), result(3), 0.15);
      expect(await cache.get(key('ttl'))).toBeDefined();
      await sleep(400);
      expect(await cache.get(key('ttl'))).toBeUndefined();
    });

    it('overwrites an entry set twice, and keeps keys apart', async () => {
      const cache = await create();
      await cache.set(key('o'), result(4), 60);
      await cache.set(key('o'), result(5), 60);
      await cache.set(key('p'), result(6), 60);
      expect((await cache.get(key('o')))!.outputs[0]!.data[0]).toBe(5);
      expect((await cache.get(key('p')))!.outputs[0]!.data[0]).toBe(6);
      expect(counts.eviction).toBe(0);
    });

    if (opts.evicts) {
      it('evicts the least recently used entries to stay within its byte budget, and counts them', async () => {
        // Each entry is ~4 KiB encoded; the budget holds 4 of them.
        const cache = await create(4 * 4200);
        for (let i = 0; i < 4; i++) await cache.set(key(`e${i}`), result(i, 1000), 60);
        expect(await cache.get(key('e0'))).toBeDefined(); // e0 becomes the most recently used
        await cache.set(key('e4'), result(4, 1000), 60);
        await cache.set(key('e5'), result(5, 1000), 60);
        expect(counts.eviction).toBe(2);
        expect(await cache.get(key('e1'))).toBeUndefined();
        expect(await cache.get(key('e2'))).toBeUndefined();
        for (const name of ['e0', 'e3', 'e4', 'e5']) expect(await cache.get(key(name))).toBeDefined();
      });
    }
  });
}
