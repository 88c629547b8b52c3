import { describe, expect, it } from 'vitest';
import { COPY_SLICE_BYTES, type Tensor } from '../../tensor/index.ts';
import { countingTurns } from '../../tensor/test-support/event-loop-turns.ts';
import { compactForTransfer, transferList } from './worker-messages.ts';

describe('compactForTransfer', () => {
  it('copies a large tensor a slice at a time into a buffer of its own, with turns of the event loop between slices', async () => {
    const count = (3 * COPY_SLICE_BYTES) / 4 + 3;
    // The tensor views part of a larger buffer, as a decoded body's tensors do.
    const backing = new Float32Array(count + 8);
    for (let i = 0; i < backing.length; i++) backing[i] = i / 4;
    const x = backing.subarray(5, 5 + count);
    const { result, turns } = await countingTurns(() => compactForTransfer([{ name: 'x', datatype: 'FP32', shape: [count], data: x }]));
    const copied = result[0]!.data as Float32Array;
    expect(copied).toBeInstanceOf(Float32Array);
    expect([copied.length, copied[0], copied[count - 1]]).toEqual([count, x[0], x[count - 1]]);
    expect(Buffer.from(copied.buffer).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength))).toBe(true);
    expect(copied.buffer).not.toBe(backing.buffer);
    expect([copied.byteOffset, copied.buffer.byteLength]).toEqual([0, count * 4]);
    expect(transferList(result)).toEqual([copied.buffer]);
    expect(turns).toBeGreaterThanOrEqual(Math.floor((count * 4) / COPY_SLICE_BYTES));
  });

  it('copies a small tensor at once, the caller keeping its own', async () => {
    const y = BigInt64Array.from([1n, -2n, 2n ** 62n]);
    const [tensor] = await compactForTransfer([{ name: 'y', datatype: 'INT64', shape: [3], data: y }]);
    expect(tensor!.data).toEqual(y);
    expect(tensor!.data).not.toBe(y);
  });

  it('moves a tensor that owns its whole buffer when the caller gives it up, and leaves BYTES elements as they are', async () => {
    const z = new Float64Array(COPY_SLICE_BYTES);
    const words = [Buffer.from('a'), Buffer.from('bc')];
    const tensors: Tensor[] = [{ name: 'z', datatype: 'FP64', shape: [z.length], data: z }, { name: 's', datatype: 'BYTES', shape: [2], data: words }];
    const [moved, bytes] = await compactForTransfer(tensors, true);
    expect(moved!.data).toBe(z);
    expect(bytes!.data).toBe(words);
  });
});
