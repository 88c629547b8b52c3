/**
 * The scheduler's own cost, in process: 64 concurrent clients send one-row requests to a model that costs a fixed
 * 15 µs per execute plus 0.1 µs per row (busy-waited, as a small native model would), under batching `off` (one
 * execute per request: the baseline, measured in the same run) and `adaptive` (what is queued is merged). The
 * ratio shows what merging buys when the per-execute cost dominates, and that the scheduler is not the limit.
 *
 *   BENCH_ONLY=scheduler npm run bench        or        npx node bench/scheduler.ts
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ExecuteResult, ModelInstance } from '../src/runtimes/runtime.ts';
import { createScheduler } from '../src/scheduler/index.ts';
import type { BatchingPolicy } from '../src/scheduler/types.ts';
import type { InferRequest } from '../src/tensor/index.ts';

const CLIENTS = 64;
const REQUESTS = 200_000;

/** y = 2x + 1 on FP32 rows, after busy-waiting the model's cost for the batch. */
function costedModel(executes: { count: number }): ModelInstance {
  return {
    signature: {
      platform: 'bench',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
    },
    maxBatchSize: 256,
    async execute(batch: readonly InferRequest[]): Promise<ExecuteResult[]> {
      executes.count++;
      const rows = batch.reduce((sum, request) => sum + request.inputs[0]!.shape[0]!, 0);
      const until = performance.now() + (15 + 0.1 * rows) / 1000;
      while (performance.now() < until) { /* the model's compute */ }
      return batch.map((request) => {
        const x = request.inputs[0]!.data as Float32Array;
        return { outputs: [{ name: 'y', datatype: 'FP32', shape: request.inputs[0]!.shape, data: x.map((v) => 2 * v + 1) }] };
      });
    },
    unload: async () => undefined,
  };
}

async function run(policy: BatchingPolicy): Promise<{ rps: number; executes: number }> {
  const executes = { count: 0 };
  const scheduler = createScheduler(costedModel(executes), policy, {}, { model: 'bench' });
  let sent = 0;
  const started = performance.now();
  const client = async () => {
    while (sent < REQUESTS) {
      sent++;
      const x = Float32Array.of(sent, 1, 2, 3);
      const [answer] = (await scheduler.enqueue({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: x }] })).outputs;
      if ((answer!.data as Float32Array)[0] !== 2 * x[0]! + 1) throw new Error('wrong answer');
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - started) / 1000;
  await scheduler.drain();
  return { rps: REQUESTS / seconds, executes: executes.count };
}

export async function main(): Promise<void> {
  console.log(`## Scheduler: ${REQUESTS} one-row requests from ${CLIENTS} clients, model cost 15 µs + 0.1 µs/row per execute`);
  const off = await run({ kind: 'off', maxQueue: 10_000 });
  const adaptive = await run({ kind: 'adaptive', maxQueue: 10_000 });
  console.log(`  off        ${Math.round(off.rps).toLocaleString('en-US')} requests/s   ${off.executes.toLocaleString('en-US')} executes`);
  console.log(`  adaptive   ${Math.round(adaptive.rps).toLocaleString('en-US')} requests/s   ${adaptive.executes.toLocaleString('en-US')} executes (${(REQUESTS / adaptive.executes).toFixed(1)} requests each)`);
  console.log(`  ratio adaptive/off: ${(adaptive.rps / off.rps).toFixed(2)}x`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
