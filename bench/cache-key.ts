/**
 * The prediction cache's own costs, in process: the cache key of a request (SHA-256 over its canonical bytes)
 * at three input sizes, SHA-256 alone against FNV-1a written in JS (the baseline, measured in the same run: a
 * fast non-crypto hash a JS server might use instead), and decoding a cached 10-float result (a hit).
 *
 *   BENCH_ONLY=cache-key npm run bench        or        npx node bench/cache-key.ts
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { cacheKey } from '../src/cache/cache-key.ts';
import { decodeResult, encodeResult } from '../src/cache/result-codec.ts';
import type { InferRequest } from '../src/tensor/index.ts';

/** Microseconds per call: the best of 5 windows of `calls` calls each (the machine is shared). */
function timeUs(calls: number, fn: () => unknown): number {
  let best = Infinity;
  for (let window = 0; window < 5; window++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, ((performance.now() - started) * 1000) / calls);
  }
  return best;
}

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

const request = (bytes: number): InferRequest => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, bytes / 4], data: Float32Array.from({ length: bytes / 4 }, (_, i) => i * 0.5) }],
});

export async function main(): Promise<void> {
  console.log('## Prediction cache: key and hit costs (in process, best of 5 windows)');
  for (const [label, bytes, calls] of [['16 B', 16, 200_000], ['1 KiB', 1024, 100_000], ['64 KiB', 65536, 5_000]] as const) {
    const req = request(bytes);
    console.log(`  cacheKey, ${label.padEnd(6)} FP32 input   ${timeUs(calls, () => cacheKey('m', '1', req)).toFixed(1)} µs`);
  }
  for (const [label, bytes, calls] of [['1 KiB', 1024, 100_000], ['64 KiB', 65536, 5_000]] as const) {
    const data = new Uint8Array(bytes).map((_, i) => i & 0xff);
    const sha = timeUs(calls, () => createHash('sha256').update(data).digest());
    const fnv = timeUs(calls, () => fnv1a(data));
    console.log(`  ${label.padEnd(6)} SHA-256 ${sha.toFixed(1)} µs   FNV-1a in JS ${fnv.toFixed(1)} µs   ratio sha/fnv ${(sha / fnv).toFixed(2)}x`);
  }
  const hit = encodeResult({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 10], data: Float32Array.from({ length: 10 }, (_, i) => i) }] });
  console.log(`  cache hit, decode of a 10-float result   ${timeUs(200_000, () => decodeResult(hit)).toFixed(1)} µs`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
