import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE_LIMITS, type TensorMetadata } from '../../tensor/index.ts';
import { refusalOf } from '../test-support/refusal.ts';
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

  it('keeps commas and line ends inside quotes, and text after a closing quote', async () => {
    const s: TensorMetadata[] = [{ name: 's', datatype: 'BYTES', shape: [-1] }];
    const [b] = await decode('"s"\n"a,b"\n"c\r\nd"\n"e""f"g\nh"i\n""""\n"a"b"c"\n', s);
    expect((b!.data as Uint8Array[]).map((v) => Buffer.from(v).toString())).toEqual(['a,b', 'c\r\nd', 'e"fg', 'h"i', '"', 'ab"c"']);
  });

  it('reads numbers as pandas does: signs, points, exponents, blanks around them, 16 digits and more', async () => {
    const f: TensorMetadata[] = [{ name: 'f', datatype: 'FP64', shape: [-1] }];
    const [t] = await decode('f\n+5\n-0\n.5\n1e3\n-2.5E-1\n 7 \n1234567890123456\n123456789012345\n-12345678901234567890\n"8"\n', f);
    expect(Array.from(t!.data as Float64Array)).toEqual([5, -0, 0.5, 1000, -0.25, 7, 1234567890123456, 123456789012345, -12345678901234567000, 8]);
    expect(Object.is((t!.data as Float64Array)[1], -0)).toBe(true);
    for (const bad of ['+', '1.2.3', '1e', '-', 'e5', '1x']) {
      expect((await refusalOf(() => decode(`f\n${bad}\n`, f))).message).toBe(`tensor 'f': "${bad}" is not a number`);
    }
  });

  it('reads 64-bit integers from their digits, exactly beyond 2^53, and short ones from their bytes', async () => {
    const i: TensorMetadata[] = [{ name: 'i', datatype: 'INT64', shape: [-1] }, { name: 'u', datatype: 'UINT64', shape: [-1] }];
    const [a, b] = await decode('i,u\n9007199254740993,18446744073709551615\n-5,+7\n123456789012345,1234567890123456\n1e3,0\n', i);
    expect(Array.from(a!.data as BigInt64Array)).toEqual([9007199254740993n, -5n, 123456789012345n, 1000n]);
    expect(Array.from(b!.data as BigUint64Array)).toEqual([18446744073709551615n, 7n, 1234567890123456n, 0n]);
    expect((await refusalOf(() => decode('i,u\n1.5,1\n', i))).code).toBe('FERRY_ERR_TENSOR_DATA');
  });

  it('reads BYTES cells of digits as text, and matches header names without their blanks', async () => {
    const inputs: TensorMetadata[] = [{ name: 'a', datatype: 'BYTES', shape: [-1] }, { name: 'b', datatype: 'FP32', shape: [-1] }];
    const [a, b] = await decode(' b , a \n1,5\n2.5,-0\n', inputs);
    expect((a!.data as Uint8Array[]).map((v) => Buffer.from(v).toString())).toEqual(['5', '-0']);
    expect(Array.from(b!.data as Float32Array)).toEqual([1, 2.5]);
  });

  it('reads BOOL from its text', async () => {
    const k: TensorMetadata[] = [{ name: 'k', datatype: 'BOOL', shape: [-1] }];
    const [t] = await decode('k\ntrue\nFALSE\n1\n0\n', k);
    expect(Array.from(t!.data as Uint8Array)).toEqual([1, 0, 1, 0]);
    expect(await refusalOf(() => decode('k\n2\n', k))).toEqual({ code: 'FERRY_ERR_TENSOR_DATA', message: `tensor 'k': "2" is not a boolean` });
  });

  it('reads an empty cell as a missing value, a trailing comma included', async () => {
    const [m] = await decode('p,q\n1,\n,2', [{ name: 'm', datatype: 'FP32', shape: [-1, 2] }]);
    expect(Array.from(m!.data as Float32Array)).toEqual([1, NaN, NaN, 2]);
  });

  it('skips an index column only under an empty first header of two or more', async () => {
    const [t] = await decode(',x\n7,1\n8,2\n', x);
    expect(Array.from(t!.data as Float32Array)).toEqual([1, 2]);
    const [u] = await decode('"",x\n"a",1\n', x);
    expect(Array.from(u!.data as Float32Array)).toEqual([1]);
    const [v] = await decode('\n"x"\n"3"\n', x);
    expect(Array.from(v!.data as Float32Array)).toEqual([3]);
    const [p] = await decode('p,,q\n1,2,3\n', [{ name: 'p', datatype: 'FP32', shape: [-1, 3] }]);
    expect(Array.from(p!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('joins rows across chunks of 4096: exactly one chunk, one row more, for numbers, BYTES and matrices', async () => {
    for (const rows of [4095, 4096, 4097, 8193]) {
      const lines = Array.from({ length: rows }, (_, r) => `${r},${r % 2 ? 'true' : 'false'},w${r},${r},-${r}`).join('\n');
      const inputs: TensorMetadata[] = [
        { name: 'n', datatype: 'INT32', shape: [-1] }, { name: 'k', datatype: 'BOOL', shape: [-1, 1] }, { name: 's', datatype: 'BYTES', shape: [-1] },
        { name: 'f', datatype: 'FP32', shape: [-1] }, { name: 'g', datatype: 'FP64', shape: [-1] },
      ];
      const [n, k, s, f, g] = await decode(`n,k,s,f,g\n${lines}\n`, inputs);
      expect(n!.shape).toEqual([rows]);
      expect(k!.shape).toEqual([rows, 1]);
      expect(Array.from(n!.data as Int32Array)).toEqual(Array.from({ length: rows }, (_, r) => r));
      expect(Array.from(k!.data as Uint8Array)).toEqual(Array.from({ length: rows }, (_, r) => r % 2));
      const words = (s!.data as Uint8Array[]).map((w) => Buffer.from(w).toString());
      expect(words).toEqual(Array.from({ length: rows }, (_, r) => `w${r}`));
      expect(Array.from(f!.data as Float32Array)).toEqual(Array.from({ length: rows }, (_, r) => r));
      expect(Array.from(g!.data as Float64Array)).toEqual(Array.from({ length: rows }, (_, r) => -r));
      const [m] = await decode(`a,b\n${Array.from({ length: rows }, (_, r) => `${r},${r + 0.5}`).join('\n')}`, [{ name: 'm', datatype: 'FP64', shape: [-1, 2] }]);
      expect(m!.shape).toEqual([rows, 2]);
      expect(Array.from(m!.data as Float64Array)).toEqual(Array.from({ length: 2 * rows }, (_, i) => (i >> 1) + (i % 2) / 2));
    }
  });

  it('counts the columns that feed inputs against limits.max_elements, not the index column', async () => {
    const m: TensorMetadata[] = [{ name: 'm', datatype: 'FP32', shape: [-1, 2] }];
    const limits = { maxRank: 32, maxElements: 4 };
    expect((await decode(',p,q\n0,1,2\n1,3,4\n', m, limits))[0]!.shape).toEqual([2, 2]);
    expect(await refusalOf(() => decode(',p,q\n0,1,2\n1,3,4\n2,5,6\n', m, limits))).toEqual({
      code: 'FERRY_ERR_LIMIT_EXCEEDED',
      message: "tensor 'text/csv body' of shape [3,2] spans 6 elements (a zero dimension counted as one), which exceeds the limit of 4 elements (setting: limits.max_elements)",
    });
  });

  it('refuses bodies with exact messages', async () => {
    const malformed = (detail: string) => ({ code: 'FERRY_ERR_MALFORMED_BODY', message: `malformed request body: ${detail}` });
    expect(await refusalOf(() => decode(''))).toEqual(malformed('the CSV body is empty: the first row names the columns'));
    expect(await refusalOf(() => decode('\n\r\n'))).toEqual(malformed('the CSV body is empty: the first row names the columns'));
    expect(await refusalOf(() => decode('x'))).toEqual({ code: 'FERRY_ERR_INVALID_REQUEST', message: 'invalid request: the table has no rows' });
    expect(await refusalOf(() => decode('x\n"1'))).toEqual(malformed('a quoted CSV field is not closed'));
    expect(await refusalOf(() => decode('x\n1\n2,3'))).toEqual(malformed('CSV row 2 has 2 fields, the header has 1'));
    expect(await refusalOf(() => decode('x,y\n1\n', [{ name: 'm', datatype: 'FP32', shape: [-1, 2] }]))).toEqual(malformed('CSV row 1 has 1 fields, the header has 2'));
    expect(await refusalOf(() => decode('a,b\n1,2\n', x))).toEqual({
      code: 'FERRY_ERR_INVALID_REQUEST', message: "invalid request: model 'm' takes 1 inputs (x), the table has 2 columns",
    });
  });
});
