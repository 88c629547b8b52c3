import { ferryError } from '../../errors/index.ts';
import {
  checkSpan, isBigIntType, storageFor, type Datatype, type NumericArray, type ShapeLimits, type Tensor, type TensorData, type TensorMetadata,
} from '../../tensor/index.ts';
import { decodeValues } from '../http/nested-json.ts';
import { cellFor, planTable, type TablePlan } from '../http/table-inputs.ts';
import { invalidRequest } from '../http/request-shape.ts';

/** Rows decoded into typed storage at a time: the only cells held as JavaScript values at once. */
const CHUNK_ROWS = 4096;
/** Longest stretch of work between two yields to the event loop. */
const SLICE_MS = 8;
/** Bytes scanned between two looks at the clock. */
const CLOCK_EVERY = 0x3fff;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a `text/csv` body as pandas.read_csv does for MLflow — the first row names the columns, fields may be
 * quoted ("" escapes a quote inside quotes), lines end with LF or CRLF, blank lines are skipped — straight into
 * the typed columns of the model's inputs (the columns map onto inputs as for any table: planTable). It scans the
 * bytes once, converts a few thousand rows at a time and yields to the event loop every few milliseconds, so a
 * large body neither holds a JavaScript value per cell nor stalls other requests. The rows it may make are bounded
 * by limits.max_elements as they are read.
 */
export async function decodeCsv(model: string, inputs: readonly TensorMetadata[], body: Buffer, limits: ShapeLimits): Promise<Tensor[]> {
  let header: string[] | undefined = [];
  let reader: ColumnReader | undefined;
  let record = 0;
  let fields = 0;
  let fieldStart = 0;
  let quotedField = false;
  let inQuotes = false;
  let sliceStart = performance.now();
  let steps = 0;

  const fieldText = (end: number) => {
    const raw = body.toString('utf8', fieldStart, end);
    return quotedField ? unquote(raw) : raw;
  };
  const endField = (end: number) => {
    if (header !== undefined) header.push(fieldText(end));
    else {
      // Plain numbers are read from their bytes, without a string per cell.
      const kind = quotedField ? undefined : reader!.numberKind(fields);
      const value = kind === undefined ? undefined : plainNumber(body, fieldStart, end, kind === 'float');
      if (value === undefined) reader!.cell(fields, fieldText(end));
      else reader!.value(fields, value);
    }
    quotedField = false;
    fields++;
  };
  const endRecord = (end: number) => {
    // A blank line (one empty field) is skipped, as pandas skips it.
    if (fields === 0 && (end === fieldStart || (quotedField && fieldText(end) === ''))) {
      quotedField = false;
      return;
    }
    endField(end);
    if (header !== undefined) {
      reader = new ColumnReader(model, inputs, header.map((name) => name.trim()), limits);
      header = undefined;
    } else {
      record++;
      if (fields !== reader!.width) throw malformed(`CSV row ${record} has ${fields} fields, the header has ${reader!.width}`);
      reader!.endRow();
    }
    fields = 0;
  };

  const length = body.length;
  for (let i = 0; i < length; i++) {
    if (++steps > CLOCK_EVERY) {
      steps = 0;
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    const c = body[i]!;
    if (inQuotes) {
      if (c === QUOTE) {
        if (body[i + 1] === QUOTE) i++;
        else inQuotes = false;
      }
      continue;
    }
    if (c === QUOTE && i === fieldStart) {
      inQuotes = true;
      quotedField = true;
    } else if (c === COMMA) {
      endField(i);
      fieldStart = i + 1;
    } else if (c === LF) {
      endRecord(i);
      fieldStart = i + 1;
    } else if (c === CR) {
      endRecord(i);
      if (body[i + 1] === LF) i++;
      fieldStart = i + 1;
    }
  }
  if (inQuotes) throw malformed('a quoted CSV field is not closed');
  if (fields > 0 || fieldStart < length) endRecord(length);
  if (reader === undefined) throw malformed('the CSV body is empty: the first row names the columns');
  return await reader.tensors();
}

/** A quoted field's text without its quotes: "" inside quotes is one quote; text after the closing quote stays. */
function unquote(raw: string): string {
  let out = '';
  let inQuotes = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (raw[i + 1] === '"') {
          out += '"';
          i++;
        } else inQuotes = false;
      } else out += c;
    } else if (c === '"' && i === 0) inQuotes = true;
    else out += c;
  }
  return out;
}

/** Typed columns filling up row by row: cells are held as values for one chunk of rows, then decoded. */
class ColumnReader {
  readonly width: number;
  readonly #plan: TablePlan;
  readonly #targets: readonly Target[];
  /** For each CSV column, the target it feeds and the offset of its cell within a row of that target. */
  readonly #route: readonly ({ target: Target; offset: number } | undefined)[];
  /** Columns that feed inputs (the header's, without an index column). */
  readonly #columns: number;
  readonly #limits: ShapeLimits;
  #rows = 0;
  #chunkRows = 0;

  constructor(model: string, inputs: readonly TensorMetadata[], header: readonly string[], limits: ShapeLimits) {
    this.width = header.length;
    this.#limits = limits;
    // DataFrame.to_csv() writes the index first, under an empty header; pandas reads it as 'Unnamed: 0', which no
    // signature names, and MLflow scores without it. So does Ferry: the column is read and left out.
    const skip = header.length >= 2 && header[0] === '' ? 1 : 0;
    const columns = header.slice(skip);
    this.#columns = columns.length;
    this.#plan = planTable(model, inputs, columns, columns.length);
    const route: ({ target: Target; offset: number } | undefined)[] = new Array(this.width).fill(undefined);
    if (this.#plan.kind === 'matrix') {
      const target = new Target(this.#plan.input, columns.length);
      this.#targets = [target];
      columns.forEach((_, c) => {
        route[c + skip] = { target, offset: c };
      });
      this.#route = route;
    } else {
      const targets = inputs.map((input) => new Target(input, 1));
      this.#plan.order.forEach((column, i) => {
        route[column + skip] = { target: targets[i]!, offset: 0 };
      });
      this.#targets = targets;
      this.#route = route;
    }
  }

  cell(column: number, text: string): void {
    const route = this.#route[column];
    if (route === undefined) return; // the index column, or a row wider than the header (refused when the row ends)
    route.target.cell(this.#chunkRows, route.offset, text);
  }

  /** A number read from a cell's bytes, as cellFor would have read its text. */
  value(column: number, value: number): void {
    const route = this.#route[column];
    if (route !== undefined) route.target.value(this.#chunkRows, route.offset, value);
  }

  /** Whether a column's cells may be read as plain numbers: any number (floats), short integers only (64-bit), or not. */
  numberKind(column: number): 'float' | 'integer' | undefined {
    return this.#route[column]?.target.numberKind;
  }

  endRow(): void {
    const span = ++this.#rows * this.#columns;
    if (span > this.#limits.maxElements) checkSpan('text/csv body', [this.#rows, this.#columns], span, this.#limits);
    if (++this.#chunkRows === CHUNK_ROWS) this.#flush();
  }

  async tensors(): Promise<Tensor[]> {
    if (this.#rows === 0) throw invalidRequest('the table has no rows');
    this.#flush();
    const tensors: Tensor[] = [];
    for (const target of this.#targets) tensors.push(await target.tensor(this.#rows, this.#plan.kind === 'matrix'));
    return tensors;
  }

  #flush(): void {
    for (const target of this.#targets) target.flush(this.#chunkRows);
    this.#chunkRows = 0;
  }
}

/** One input's column(s): a chunk of cell values, and the typed parts decoded so far. */
class Target {
  readonly #input: TensorMetadata;
  readonly #width: number;
  #cells: unknown[];
  readonly #parts: TensorData[] = [];

  readonly numberKind: 'float' | 'integer' | undefined;

  constructor(input: TensorMetadata, width: number) {
    this.#input = input;
    this.#width = width;
    this.#cells = new Array(CHUNK_ROWS * width);
    const { datatype } = input;
    // BOOL and BYTES cells are read from their text; 64-bit integers past 2^53 from their digits (cellFor).
    this.numberKind = datatype === 'BYTES' || datatype === 'BOOL' ? undefined : isBigIntType(datatype) ? 'integer' : 'float';
  }

  cell(row: number, offset: number, text: string): void {
    this.#cells[row * this.#width + offset] = cellFor(this.#input.datatype, text, true);
  }

  value(row: number, offset: number, value: number): void {
    this.#cells[row * this.#width + offset] = value;
  }

  flush(rows: number): void {
    if (rows === 0) return;
    const count = rows * this.#width;
    const cells = count === this.#cells.length ? this.#cells : this.#cells.slice(0, count);
    this.#parts.push(decodeValues(this.#input.name, this.#input.datatype, [count], cells));
    this.#cells = new Array(CHUNK_ROWS * this.#width);
  }

  async tensor(rows: number, matrix: boolean): Promise<Tensor> {
    const { name, datatype } = this.#input;
    const shape = matrix ? [rows, this.#width] : this.#input.shape.length === 1 ? [rows] : [rows, 1];
    return { name, datatype, shape, data: await joinParts(datatype, this.#parts, rows * this.#width) };
  }
}

/**
 * The number an unquoted cell of digits, sign, point and exponent spells, or undefined when it is anything else
 * (then its text is read as any other cell). Integers of up to 15 digits are exact as doubles and are computed
 * from the bytes; other numbers go through Number, which reads what cellFor's pattern accepts. Without
 * `anyNumber`, only those short integers (a 64-bit integer's longer digits must not be rounded).
 */
function plainNumber(bytes: Buffer, start: number, end: number, anyNumber: boolean): number | undefined {
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative || bytes[i] === PLUS) i++;
  let value = 0;
  let digits = 0;
  let integer = true;
  for (let j = i; j < end; j++) {
    const c = bytes[j]!;
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      value = value * 10 + (c - DIGIT_0);
      digits++;
    } else if (c === POINT || c === LOWER_E || c === UPPER_E || c === PLUS || c === MINUS) integer = false;
    else return undefined;
  }
  if (digits === 0) return undefined;
  if (integer && digits <= 15) return negative ? -value : value;
  if (!anyNumber) return undefined;
  const number = Number(bytes.toString('latin1', start, end));
  return Number.isNaN(number) ? undefined : number;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * One column from its decoded parts. The copy yields too: the first write to fresh memory costs a page fault per
 * page, which for a column of hundreds of MiB adds up to seconds on a busy machine.
 */
async function joinParts(datatype: Datatype, parts: readonly TensorData[], count: number): Promise<TensorData> {
  if (parts.length === 1) return parts[0]!;
  if (datatype === 'BYTES') return (parts as Uint8Array[][]).flat();
  const Storage = storageFor(datatype);
  const out = new Storage(count) as NumericArray;
  let offset = 0;
  let sliceStart = performance.now();
  for (const part of parts as NumericArray[]) {
    (out as Float64Array).set(part as Float64Array, offset);
    offset += part.length;
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  return out;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function malformed(detail: string) {
  return ferryError('FERRY_ERR_MALFORMED_BODY', { detail });
}
