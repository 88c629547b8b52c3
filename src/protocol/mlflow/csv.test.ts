import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE_LIMITS, type TensorMetadata } from '../../tensor/index.ts';
import { watchEventLoop } from '../../../test/helpers/event-loop.ts';
import { decodeCsv } from './csv.ts';

const x: TensorMetadata[] = [{ name: 'x', datatype: 'FP32', shape: [-1] }];
const decode = (text: string | Buffer, inputs: readonly TensorMetadata[] = x, limits = DEFAULT_SHAPE_LIMITS) =>
  decodeCsv('m', inputs, Buffer.isBuffer(text) ? text : Buffer.from(text), limits);

describe('CSV into typed columns', () => {
  it('reads quoted fields, CRLF and lone CR line ends, skips blank lines, trims header names', async () => {
    const [t] = await decode(' x \r\n"1.5"\r\n\r\n2\r-3e2\n""\n4');
    expect(t!.shape).toEqual([4]);
    expect(Array.from(t!.data as Float32Array)).toEqual([1.5, 2, -300, 4]);
    const [b] = await decode('s\n"a ""q"", b"\nplain\n"x"y\n', [{ name: 's', datatype: 'BYTES', shape: [-1] }]);
    expect((b!.data as Uint8Array[]).map((v) => Buffer.from(v).toString())).toEqual(['a "q", b', 'plain', 'xy']);
  });

  it('maps columns by name onto 1-D inputs, or in order onto one 2-D input; reads each by its datatype', async () => {
    const named: TensorMetadata[] = [{ name: 'a', datatype: 'INT64', shape: [-1] }, { name: 'b', datatype: 'BOOL', shape: [-1, 1] }];
    const [a, b] = await decode('b,a\ntrue,9007199254740993\n0,-7\n', named);
    expect(Array.from(a!.data as BigInt64Array)).toEqual([9007199254740993n, -7n]);
    expect(b!.shape).toEqual([2, 1]);
    expect(Array.from(b!.data as Uint8Array)).toEqual([1, 0]);
    const [m] = await decode('p,q,r\n1,2,3\n4,,6\n', [{ name: 'm', datatype: 'FP64', shape: [-1, 3] }]);
    expect(m!.shape).toEqual([2, 3]);
    expect(Array.from(m!.data as Float64Array)).toEqual([1, 2, 3, 4, NaN, 6]);
  });

  it('leaves out the index column DataFrame.to_csv() writes first under an empty header', async () => {
    const [m] = await decode(',p,q\n0,1,2\n1,3,4\n', [{ name: 'm', datatype: 'FP64', shape: [-1, 2] }]);
    expect(m!.shape).toEqual([2, 2]);
    expect(Array.from(m!.data as Float64Array)).toEqual([1, 2, 3, 4]);
    await expect(decode(',x\n0\n', x)).rejects.toThrow('CSV row 1 has 1 fields, the header has 2');
  });

  it('refuses what pandas would not read, with the row that is wrong', async () => {
    await expect(decode('')).rejects.toThrow(/the CSV body is empty/);
    await expect(decode('x\n')).rejects.toThrow(/the table has no rows/);
    await expect(decode('x\n1\n1,2\n')).rejects.toThrow('CSV row 2 has 2 fields, the header has 1');
    await expect(decode('x\n"1\n')).rejects.toThrow(/quoted CSV field is not closed/);
    await expect(decode('x\nabc\n')).rejects.toThrow(/"abc" is not a number/);
    await expect(decode('x\n1-2\n')).rejects.toThrow(/"1-2" is not a number/);
    await expect(decode('x\n1.5\n', [{ name: 'x', datatype: 'INT32', shape: [-1] }])).rejects.toThrow(/1.5 is not an integer/);
  });

  it('bounds the rows it makes by limits.max_elements as it reads them', async () => {
    const rows = `x\n${'1\n'.repeat(11)}`;
    await expect(decode(rows, x, { maxRank: 32, maxElements: 10 })).rejects.toThrow(/exceeds the limit of 10 elements \(setting: limits\.max_elements\)/);
    expect((await decode(rows, x, { maxRank: 32, maxElements: 11 }))[0]!.shape).toEqual([11]);
  });

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
