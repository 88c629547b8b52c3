import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { parseJson } from '../../protocol/http/exact-json.ts';
import { type ResumePoint, type RowBatch, type RowSource } from './row-source.ts';

const CHUNK_BYTES = 64 << 10;
const MAX_LINE_BYTES = 64 << 20;
const LF = 0x0a;

/**
 * A JSON Lines file: one JSON object per line, its keys the columns (those of the first row, in its order). Long
 * integers are read exactly when `exactIntegers` (the model takes INT64 or UINT64).
 */
export async function openJsonl(file: string, from: ResumePoint | undefined, exactIntegers: boolean): Promise<RowSource> {
  const size = (await stat(file)).size;
  const label = path.basename(file);
  const parse = (line: string, row: number): Record<string, unknown> => {
    let value: unknown;
    try {
      value = parseJson(line, exactIntegers);
    } catch (error) {
      throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `row ${row} is not JSON: ${(error as Error).message}` });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `row ${row} is not a JSON object` });
    return value as Record<string, unknown>;
  };
  const firstLine = await readFirstLine(file);
  if (firstLine === undefined) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: 'the file has no rows' });
  const columns = Object.keys(parse(firstLine, 1));
  const start = from ?? { rows: 0, offset: 0 };
  return {
    columns,
    text: false,
    total: { unit: 'bytes', size },
    async *batches(batchRows: number): AsyncIterable<RowBatch> {
      let rows = start.rows;
      let offset = start.offset;
      let pending: Buffer = Buffer.alloc(0);
      let held: Record<string, unknown>[] = [];
      const batch = (objects: Record<string, unknown>[], resume: ResumePoint): RowBatch => ({
        rows: objects.length, resume, column: (name) => objects.map((o) => o[name]),
      });
      for await (const chunk of createReadStream(file, { start: start.offset, highWaterMark: CHUNK_BYTES })) {
        pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
        yield* split(false);
      }
      yield* split(true);
      if (held.length > 0) {
        rows += held.length;
        yield batch(held, { rows, offset });
      }

      function* split(final: boolean): Generator<RowBatch> {
        let lineStart = 0;
        for (;;) {
          let end = pending.indexOf(LF, lineStart);
          if (end < 0) {
            if (!final || lineStart >= pending.length) break;
            end = pending.length;
          }
          const text = pending.toString('utf8', lineStart, end).trim();
          const next = Math.min(end + 1, pending.length);
          offset += next - lineStart;
          lineStart = next;
          if (text !== '') held.push(parse(text, rows + held.length + 1));
          if (held.length === batchRows) {
            rows += held.length;
            yield batch(held, { rows, offset });
            held = [];
          }
        }
        pending = pending.subarray(lineStart);
        if (pending.length > MAX_LINE_BYTES) throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `row ${rows + held.length + 1} is longer than ${MAX_LINE_BYTES} bytes` });
      }
    },
    close: async () => undefined,
  };
}

/** The first non-blank line, or undefined for a file without one. */
async function readFirstLine(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    let held = Buffer.alloc(0);
    const chunk = Buffer.alloc(64 * 1024);
    for (let position = 0; held.length <= MAX_LINE_BYTES; position += chunk.length) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      held = Buffer.concat([held, chunk.subarray(0, bytesRead)]);
      const final = bytesRead < chunk.length;
      let start = 0;
      for (let end = held.indexOf(LF); ; end = held.indexOf(LF, start)) {
        if (end < 0 && !final) break;
        const line = held.toString('utf8', start, end < 0 ? held.length : end).trim();
        if (line !== '') return line;
        if (end < 0) return undefined;
        start = end + 1;
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}
