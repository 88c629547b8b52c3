const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Complete records parsed from the bytes so far, with the file offset just past each one. */
export interface CsvRecords {
  readonly records: string[][];
  readonly ends: number[];
}

/**
 * An incremental RFC 4180 parser over bytes: comma-separated fields, fields in double quotes may hold commas,
 * newlines and doubled quotes, records end with LF or CRLF, blank lines are skipped. It keeps only the unfinished
 * last record between pushes, so memory is bounded by one chunk and one record, and it reports each record's end
 * offset in the file, which is where a later run resumes.
 */
export class CsvParser {
  #pending: Buffer = Buffer.alloc(0);
  /** File offset of the first byte of `#pending`. */
  #offset: number;

  constructor(startOffset = 0) {
    this.#offset = startOffset;
  }

  /** Parses what `chunk` completes; with `final`, an unterminated last record counts as complete. */
  push(chunk: Buffer, final = false): CsvRecords {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const records: string[][] = [];
    const ends: number[] = [];
    let recordStart = 0;
    let fields: string[] = [];
    let fieldStart = 0;
    let inQuotes = false;
    let quoted = false;
    let i = 0;
    const n = buf.length;
    const endField = (end: number) => {
      fields.push(quoted ? unquote(buf, fieldStart, end) : buf.toString('utf8', fieldStart, end));
      quoted = false;
    };
    while (i < n) {
      const b = buf[i]!;
      if (inQuotes) {
        if (b === QUOTE) {
          if (i + 1 >= n && !final) break; // a doubled quote may straddle the chunk: wait for the next byte
          if (buf[i + 1] === QUOTE) i += 2;
          else {
            inQuotes = false;
            i++;
          }
        } else i++;
        continue;
      }
      if (b === COMMA) {
        endField(i);
        fieldStart = ++i;
      } else if (b === LF) {
        const end = i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
        const blank = fields.length === 0 && end === fieldStart && !quoted;
        if (!blank) {
          endField(end);
          records.push(fields);
          ends.push(this.#offset + i + 1);
        }
        fields = [];
        recordStart = fieldStart = ++i;
      } else {
        if (b === QUOTE && i === fieldStart) {
          inQuotes = true;
          quoted = true;
        }
        i++;
      }
    }
    if (final && recordStart < n && (fields.length > 0 || n > fieldStart || quoted)) {
      const end = buf[n - 1] === CR ? n - 1 : n;
      endField(end);
      records.push(fields);
      ends.push(this.#offset + n);
      recordStart = n;
    }
    this.#pending = buf.subarray(recordStart);
    this.#offset += recordStart;
    return { records, ends };
  }

  /** Bytes of an unfinished record still held (at the end of the input: a record the file never finished). */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/** A quoted field's text: inside the quotes, doubled quotes made single; text after the closing quote is kept. */
function unquote(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, end);
  const close = text.lastIndexOf('"');
  const inner = close > 0 ? text.slice(1, close) + text.slice(close + 1) : text.slice(1);
  return inner.includes('""') ? inner.replaceAll('""', '"') : inner;
}

/** One CSV field as written: quoted when it holds a comma, a quote, a newline or surrounding spaces. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
