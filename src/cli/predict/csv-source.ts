import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { CsvParser } from './csv-parser.ts';
import { recordBatch, type ResumePoint, type RowBatch, type RowSource } from './row-source.ts';

const CHUNK_BYTES = 64 << 10;
const MAX_RECORD_BYTES = 64 << 20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A CSV file with a header row, streamed in chunks from `from` (a resume point) or from its first data row. */
export async function openCsv(file: string, from: ResumePoint | undefined): Promise<RowSource> {
  const size = (await stat(file)).size;
  const header = await readHeader(file);
  const label = path.basename(file);
  const start = from && from.offset > 0 ? from : { rows: 0, offset: header.end };
  return {
    columns: header.columns,
    text: true,
    total: { unit: 'bytes', size },
    async *batches(batchRows: number): AsyncIterable<RowBatch> {
      const parser = new CsvParser(start.offset);
      let rows = start.rows;
      let held: string[][] = [];
      let heldEnd = start.offset;
      const width = header.columns.length;
      const take = (records: string[][], ends: number[]): RowBatch[] => {
        const out: RowBatch[] = [];
        for (let i = 0; i < records.length; i++) {
          const record = records[i]!;
          if (record.length !== width) {
            throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `row ${rows + held.length + 1} has ${record.length} fields, the header has ${width}` });
          }
          held.push(record);
          heldEnd = ends[i]!;
          if (held.length === batchRows) {
            rows += held.length;
            out.push(recordBatch(header.columns, held, { rows, offset: heldEnd }));
            held = [];
          }
        }
        return out;
      };
      for await (const chunk of createReadStream(file, { start: start.offset, highWaterMark: CHUNK_BYTES })) {
        const { records, ends } = parser.push(chunk as Buffer);
        if (parser.pendingBytes > MAX_RECORD_BYTES) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `row ${rows + held.length + records.length + 1} is longer than ${MAX_RECORD_BYTES} bytes (an unclosed quote?)` });
        yield* take(records, ends);
      }
      const last = parser.push(Buffer.alloc(0), true);
      yield* take(last.records, last.ends);
      if (held.length > 0) {
        rows += held.length;
        yield recordBatch(header.columns, held, { rows, offset: heldEnd });
      }
    },
    close: async () => undefined,
  };
}

/** The header row: the column names, and the offset of the first data row (after a UTF-8 byte order mark). */
async function readHeader(file: string): Promise<{ columns: string[]; end: number }> {
  const label = path.basename(file);
  const handle = await open(file, 'r');
  try {
    const first = Buffer.alloc(3);
    const { bytesRead: head } = await handle.read(first, 0, 3, 0);
    let position = head === 3 && first.equals(BOM) ? 3 : 0;
    const parser = new CsvParser(position);
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      const final = bytesRead < chunk.length;
      const found = parser.push(Buffer.from(chunk.subarray(0, bytesRead)), final);
      if (found.records.length > 0) return { columns: found.records[0]!, end: found.ends[0]! };
      if (final) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: 'the file is empty: a CSV file needs a header row' });
      position += bytesRead;
      if (position > MAX_RECORD_BYTES) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `no header row within the first ${MAX_RECORD_BYTES} bytes` });
    }
  } finally {
    await handle.close();
  }
}
