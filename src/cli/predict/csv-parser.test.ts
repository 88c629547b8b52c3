import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, csvField } from './csv-parser.ts';

/** Parses `text` pushed in pieces cut at `cuts` (byte offsets), as a file read in chunks is. */
function parseInPieces(bytes: Buffer, cuts: number[]): { records: string[][]; ends: number[] } {
  const parser = new CsvParser();
  const records: string[][] = [];
  const ends: number[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const part = parser.push(bytes.subarray(at, cut));
    records.push(...part.records);
    ends.push(...part.ends);
    at = cut;
  }
  const last = parser.push(bytes.subarray(at), true);
  return { records: [...records, ...last.records], ends: [...ends, ...last.ends] };
}

describe('CsvParser', () => {
  it('reads quoted fields with commas, newlines and doubled quotes, CRLF, blank lines and a last line without newline', () => {
    const text = 'a,b,c\r\n"x, y","line1\nline2","say ""hi"""\n\n1,,é\n"",2,3';
    const { records, ends } = parseInPieces(Buffer.from(text), []);
    expect(records).toEqual([['a', 'b', 'c'], ['x, y', 'line1\nline2', 'say "hi"'], ['1', '', 'é'], ['', '2', '3']]);
    // Each end is the offset just past its record: where a resumed read starts.
    expect(ends.map((e) => Buffer.from(text).subarray(0, e).toString().slice(-1))).toEqual(['\n', '\n', '\n', '3']);
  });

  it('gives the same records and offsets however the bytes are cut into chunks', () => {
    const field = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', ',', '"', '\n', '""', ' x', 'é,"\r\n'));
    fc.assert(fc.property(
      fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (rows, cutSeeds) => {
        // A one-field row holding '' would be a blank line: written quoted, as any CSV writer must.
        const text = rows.map((r) => (r.length === 1 && r[0] === '' ? '""' : r.map(csvField).join(','))).join('\n') + '\n';
        const bytes = Buffer.from(text);
        const whole = parseInPieces(bytes, []);
        expect(whole.records).toEqual(rows);
        const cut = parseInPieces(bytes, cutSeeds.map((s) => s % (bytes.length + 1)));
        expect(cut).toEqual(whole);
      },
    ), { numRuns: 300 });
  });

  it('resumes at a record end: parsing from there gives the remaining records', () => {
    const bytes = Buffer.from('h1,h2\n1,"a\nb"\n2,c\n3,d\n');
    const all = parseInPieces(bytes, []);
    const from = all.ends[1]!;
    const rest = new CsvParser(from).push(bytes.subarray(from), true);
    expect(rest.records).toEqual([['2', 'c'], ['3', 'd']]);
    expect(rest.ends).toEqual(all.ends.slice(2));
  });
});
