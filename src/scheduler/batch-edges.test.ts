import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { nextLimit, type AimdParams } from './aimd.ts';
import { mergeRequests } from './concat.ts';
import { mergeKey, requestRows } from './merge-key.ts';
import { resolveBatchingPolicy } from './policy-config.ts';
import { planBatch } from './policy.ts';
import { splitResult } from './split.ts';

const x = (rows: number, extra: Partial<Tensor> = {}): Tensor => ({
  name: 'x', datatype: 'FP32', shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => i), ...extra,
});
const signature: ModelSignature = { platform: 'test', inputs: [], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }, { name: 'classes', datatype: 'INT32', shape: [3] }] };

describe('merging requests', () => {
  it('keeps the request and tensor parameters of the first request, and none when it has none', () => {
    const withParameters: InferRequest[] = [
      { parameters: { priority: 1 }, inputs: [x(1, { parameters: { unit: 'cm' } })] },
      { parameters: { priority: 1 }, inputs: [x(2, { parameters: { unit: 'cm' } })] },
    ];
    const merged = mergeRequests(withParameters, [1, 2]);
    expect(merged.parameters).toEqual({ priority: 1 });
    expect(merged.inputs[0]!.parameters).toEqual({ unit: 'cm' });
    const plain = mergeRequests([{ inputs: [x(1)] }, { inputs: [x(1)] }], [1, 1]);
    expect(Object.keys(plain)).toEqual(['inputs']);
    expect(Object.keys(plain.inputs[0]!).sort()).toEqual(['data', 'datatype', 'name', 'shape']);
  });

  it('asks for the union of the requested outputs, each once, or for all when any request asks for all', () => {
    const a: InferRequest = { inputs: [x(1)], outputs: [{ name: 'y' }] };
    const b: InferRequest = { inputs: [x(1)], outputs: [{ name: 'classes' }, { name: 'y', parameters: { binary_data: true } }] };
    expect(mergeRequests([a, b], [1, 1]).outputs).toEqual([{ name: 'y' }, { name: 'classes' }]);
    expect('outputs' in mergeRequests([a, { inputs: [x(1)] }], [1, 1])).toBe(false);
    expect('outputs' in mergeRequests([{ inputs: [x(1)] }, { inputs: [x(1)] }], [1, 1])).toBe(false);
  });
});

describe('which requests merge', () => {
  it('needs every input to share the first input’s rows, and a batch dimension', () => {
    const y = (rows: number): Tensor => ({ ...x(rows), name: 'y' });
    expect(requestRows({ inputs: [x(2), y(2), y(2)] })).toBe(2);
    expect(requestRows({ inputs: [x(2), y(2), y(3)] })).toBeUndefined();
    expect(requestRows({ inputs: [x(2), y(3), y(2)] })).toBeUndefined();
    expect(requestRows({ inputs: [{ name: 's', datatype: 'FP32', shape: [], data: Float32Array.of(1) }] })).toBeUndefined();
    expect(requestRows({ inputs: [] })).toBeUndefined();
  });

  it('keys on the full row shape and on parameters whatever their order', () => {
    const shaped = (shape: number[]): InferRequest => ({ inputs: [{ name: 'x', datatype: 'FP32', shape, data: new Float32Array(0) }] });
    expect(mergeKey(shaped([1, 1, 23]))).not.toBe(mergeKey(shaped([1, 12, 3])));
    const a: InferRequest = { parameters: { b: 1, a: 2 }, inputs: [x(1)] };
    const b: InferRequest = { parameters: { a: 2, b: 1 }, inputs: [x(1)] };
    expect(mergeKey(a)).toBe(mergeKey(b));
    expect(mergeKey(a)).not.toBe(mergeKey({ parameters: { a: 1, b: 2 }, inputs: [x(1)] }));
  });
});

describe('splitting a merged result', () => {
  it('refuses an output whose elements do not fill its shape, saying both', () => {
    const bad = { outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [3, 2], data: new Float32Array(5) }] };
    expect(() => splitResult(bad, [1, 2], signature, 'm')).toThrow("output 'y' has 5 elements, its shape [3,2] needs 6");
  });

  it('gives every request the result parameters, and none when there are none', () => {
    const y: Tensor = { name: 'y', datatype: 'FP32', shape: [2, 2], data: new Float32Array(4) };
    expect(splitResult({ outputs: [y], parameters: { cached: false } }, [1, 1], signature, 'm').map((r) => r.parameters)).toEqual([{ cached: false }, { cached: false }]);
    expect(splitResult({ outputs: [y] }, [1, 1], signature, 'm').map((r) => 'parameters' in r)).toEqual([false, false]);
  });

  it('copies whole an output the signature fixes at a size that happens to equal the rows, or declares without dimensions', () => {
    const classes: Tensor = { name: 'classes', datatype: 'INT32', shape: [3], data: Int32Array.of(7, 8, 9) };
    const split = splitResult({ outputs: [classes] }, [1, 2], signature, 'm');
    expect(split.map((r) => r.outputs[0])).toEqual([classes, classes]);
    const scalarDeclared: ModelSignature = { ...signature, outputs: [{ name: 'n', datatype: 'INT32', shape: [] }] };
    const n: Tensor = { name: 'n', datatype: 'INT32', shape: [3], data: Int32Array.of(1, 2, 3) };
    expect(splitResult({ outputs: [n] }, [1, 2], scalarDeclared, 'm').map((r) => Array.from(r.outputs[0]!.data as Int32Array))).toEqual([[1], [2, 3]]);
  });

  it('splits an output the signature does not name by its rows', () => {
    const extra: Tensor = { name: 'extra', datatype: 'INT32', shape: [3], data: Int32Array.of(1, 2, 3) };
    expect(splitResult({ outputs: [extra] }, [2, 1], signature, 'm').map((r) => Array.from(r.outputs[0]!.data as Int32Array))).toEqual([[1, 2], [3]]);
  });
});

describe('batching limits at their edges', () => {
  const params: AimdParams = { sloMs: 10, increase: 1, decrease: 0.9, minRows: 1, maxRows: 512 };
  it('AIMD counts a batch exactly at the objective as meeting it', () => {
    expect(nextLimit(20, { rows: 20, execMs: 10, bounded: true }, params)).toBe(21);
  });

  it('dynamic batching picks the largest preferred size that fits, whatever order they are listed in', () => {
    const dynamic = { kind: 'dynamic' as const, maxQueue: 10, maxBatchSize: 16, maxQueueDelayUs: 2000, preferredBatchSizes: [8, 4, 2] };
    expect(planBatch(dynamic, 16, { availableRows: 11, waitedMs: 0, flush: false })).toEqual({ run: true, rows: 8 });
  });

  it('resolves each setting at its boundary: delay 0, sizes and queue of 1; refuses values just outside', () => {
    expect(resolveBatchingPolicy({ policy: 'dynamic', max_queue_delay_us: 0, max_batch_size: 1, max_queue: 1 }, 8)).toEqual({
      kind: 'dynamic', maxQueue: 1, maxBatchSize: 1, maxQueueDelayUs: 0, preferredBatchSizes: [],
    });
    expect(resolveBatchingPolicy({ policy: 'dynamic' }, 0)).toMatchObject({ maxBatchSize: 1, maxQueueDelayUs: 500 });
    expect(resolveBatchingPolicy({ policy: 'adaptive', slo_ms: 0.5 }, 8)).toStrictEqual({ kind: 'adaptive', maxQueue: 1024, sloMs: 0.5 });
    expect(resolveBatchingPolicy({ policy: 'adaptive', max_batch_size: 4 }, 8)).toStrictEqual({ kind: 'adaptive', maxQueue: 1024, maxBatchSize: 4 });
    const refusal = (settings: Parameters<typeof resolveBatchingPolicy>[0]) => () => resolveBatchingPolicy(settings, 8);
    expect(refusal({ policy: 'dynamic', max_queue_delay_us: -1 })).toThrow('invalid configuration: batching.max_queue_delay_us must be a number ≥ 0, got -1');
    expect(refusal({ policy: 'dynamic', max_queue_delay_us: Number.NaN })).toThrow('batching.max_queue_delay_us must be a number ≥ 0, got NaN');
    expect(refusal({ policy: 'dynamic', max_batch_size: 0 })).toThrow('batching.max_batch_size must be a positive integer, got 0');
    expect(refusal({ policy: 'adaptive', slo_ms: 0 })).toThrow('batching.slo_ms must be a positive number, got 0');
    expect(refusal({ policy: 'fifo' as 'off' })).toThrow("batching.policy must be off, dynamic or adaptive, got 'fifo'");
    let thrown: unknown;
    try {
      resolveBatchingPolicy({ max_queue: 0 }, 8);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'FERRY_ERR_CONFIG_INVALID', message: 'invalid configuration: batching.max_queue must be a positive integer, got 0' });
  });

  it('keeps a default output in every policy, and adds none when there is none', () => {
    const answer = { outputs: [] };
    for (const policy of ['off', 'dynamic', 'adaptive'] as const) {
      expect(resolveBatchingPolicy({ policy }, 8, answer).defaultOutput).toBe(answer);
      expect('defaultOutput' in resolveBatchingPolicy({ policy }, 8)).toBe(false);
    }
  });
});
