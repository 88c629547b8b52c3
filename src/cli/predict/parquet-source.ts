import { stat } from 'node:fs/promises';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { ferryError } from '../../errors/index.ts';
import { type ResumePoint, type RowBatch, type RowSource } from './row-source.ts';

/**
 * A Parquet file read one row group at a time (hyparquet), so memory holds one row group however large the file.
 * Values come decoded: numbers, bigints (INT64), booleans, strings, null for missing, arrays for list columns. A
 * resume point is a row count: a resumed run starts inside the row group that holds it.
 */
export async function openParquet(file: string, from: ResumePoint | undefined): Promise<RowSource> {
  const label = path.basename(file);
  const size = (await stat(file)).size;
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `not a Parquet file (${size} bytes): ${(error as Error).message}` });
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const totalRows = Number(metadata.num_rows);
  // Row ranges of the row groups, in file order.
  const groups: { start: number; end: number }[] = [];
  let next = 0;
  for (const group of metadata.row_groups) {
    groups.push({ start: next, end: next + Number(group.num_rows) });
    next += Number(group.num_rows);
  }
  const startRow = from?.rows ?? 0;
  return {
    columns,
    text: false,
    total: { unit: 'rows', size: totalRows },
    async *batches(batchRows: number): AsyncIterable<RowBatch> {
      let rows = startRow;
      let held: Record<string, unknown>[] = [];
      const batch = (objects: Record<string, unknown>[], done: number): RowBatch => ({
        rows: objects.length, resume: { rows: done, offset: done }, column: (name) => objects.map((o) => o[name]),
      });
      for (const group of groups) {
        if (group.end <= rows) continue;
        let records: Record<string, unknown>[];
        try {
          records = await parquetReadObjects({ file: buffer, metadata, rowStart: Math.max(rows, group.start), rowEnd: group.end, rowFormat: 'object' });
        } catch (error) {
          throw ferryError('FERRY_ERR_DATA_FILE', { file: label, detail: `rows ${group.start + 1}-${group.end} do not read: ${(error as Error).message}` });
        }
        for (const record of records) {
          held.push(record);
          if (held.length === batchRows) {
            rows += held.length;
            yield batch(held, rows);
            held = [];
          }
        }
      }
      if (held.length > 0) {
        rows += held.length;
        yield batch(held, rows);
      }
    },
    close: async () => undefined,
  };
}
