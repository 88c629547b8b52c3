// A 64 MiB CSV body: typed storage a few times the body's size, and no long stall of the event loop. In a file of
// its own so that mutation runs (which run csv.test.ts) do not pay for it on every mutant.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE_LIMITS, type TensorMetadata } from '../../tensor/index.ts';
import { watchEventLoop } from '../../../test/helpers/event-loop.ts';
import { decodeCsv } from './csv.ts';

const x: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1] }];
const decode = (body: Buffer) => decodeCsv('m', x, body, DEFAULT_SHAPE_LIMITS);

describe('a large CSV body', () => {
  it('a 64 MiB one-column body: typed storage a few times the body, no long event-loop stall', async () => {
    const rows = 32 * 1024 * 1024 - 1;
    const body = Buffer.alloc(2 + rows * 2, '1\n');
    body.write('x\n');
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
    }, 5);
    const { result, longestGapMs } = await watchEventLoop(() => decode(body));
    clearInterval(sampler);
    const data = result[0]!.data as Float32Array;
    expect(data.length).toBe(rows);
    expect(data[0]).toBe(1);
    expect(data[rows - 1]).toBe(1);
    // A JavaScript array per row took ~115x the body; the FP32 column is 2x, joined from its parts 4x.
    expect(peak / body.length).toBeLessThan(8);
    // Slices of ~8 ms; generous for a loaded machine (one pass without yields stalled for tens of seconds).
    expect(longestGapMs).toBeLessThan(2000);
  }, 180_000);
});
