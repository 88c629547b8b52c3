import { open, type FileHandle } from 'node:fs/promises';
import type { OutputBatch } from './output-rows.ts';
import { csvHeader, csvLines, jsonLines } from './output-text.ts';

/** Where predictions go, batch after batch, in input order. */
export interface Sink {
  write(batch: OutputBatch): Promise<void>;
  /** Makes everything written so far durable in the file and says what a resumed run needs to continue it. */
  commit(): Promise<SinkState>;
  /** Completes the file (a Parquet footer) and closes it. */
  finish(): Promise<void>;
  /** Closes the file as it is, for a later resume. */
  abandon(): Promise<void>;
}

/** What a checkpoint records of the output: its length in bytes and any format state (Parquet row groups). */
export interface SinkState {
  readonly bytes: number;
  readonly header?: string;
  readonly extra?: unknown;
}

const FLUSH_BYTES = 128 << 10;

/**
 * CSV or JSON Lines output. Resumed, the file is cut back to the length the checkpoint recorded (dropping rows
 * written after it) and appended to; a CSV header is written once, and a resumed run checks it is the same.
 */
export async function openTextSink(file: string, format: 'csv' | 'jsonl', resume: SinkState | undefined): Promise<Sink> {
  const handle: FileHandle = await open(file, resume ? 'r+' : 'w');
  let bytes = 0;
  let header = resume?.header;
  if (resume) {
    await handle.truncate(resume.bytes);
    bytes = resume.bytes;
  }
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const buffer = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    await handle.write(buffer, 0, buffer.length, bytes);
    bytes += buffer.length;
  };
  return {
    async write(batch) {
      if (format === 'csv') {
        const line = csvHeader(batch);
        if (header === undefined) {
          header = line;
          pending.push(line);
        } else if (header !== line) {
          throw new Error(`the output columns changed: ${line.trim()} (the file has ${header.trim()})`);
        }
      }
      const text = format === 'csv' ? csvLines(batch) : jsonLines(batch);
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= FLUSH_BYTES) await flush();
    },
    async commit() {
      await flush();
      await handle.datasync();
      return { bytes, ...(header === undefined ? {} : { header }) };
    },
    async finish() {
      await flush();
      await handle.close();
    },
    async abandon() {
      await flush();
      await handle.close();
    },
  };
}
