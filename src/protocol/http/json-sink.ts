import { Readable } from 'node:stream';
import { checkResponseSize, type ProtocolLimits } from './limits.ts';

/** Longest stretch of encoding between two yields to the event loop. */
const SLICE_MS = 8;
/** Characters gathered before they become bytes (and are counted against the response limit): joining them is one step. */
const SPILL_CHARS = 1 << 18;
/** Elements under one list written without looking at the clock. */
const SYNC_ELEMENTS = 4096;

/**
 * Where an answer's JSON text is written piece by piece: the text becomes bytes 256 K characters at a time, counted
 * against limits.max_response_bytes as it grows (an answer past the limit is refused before it is all built, and
 * no single string ever nears V8's string length limit), and encoders that write many elements yield to the
 * event loop every few milliseconds through due() and pause().
 */
export class JsonSink {
  readonly #limits: ProtocolLimits;
  #pending: string[] = [];
  #pendingChars = 0;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #sliceStart = performance.now();
  #writes = 0;

  constructor(limits: ProtocolLimits) {
    this.#limits = limits;
  }

  write(text: string): void {
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (this.#pendingChars > SPILL_CHARS) this.#spill();
  }

  /** Whether the current slice of work is used up; `elements` written since the last call (the clock is read every 1024). */
  due(elements = 1): boolean {
    this.#writes += elements;
    if (this.#writes < 1024) return false;
    this.#writes = 0;
    return performance.now() - this.#sliceStart > SLICE_MS;
  }

  async pause(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#sliceStart = performance.now();
  }

  /** The answer's bytes, in the chunks they were made in. */
  finish(): EncodedBody {
    this.#spill();
    return { chunks: this.#chunks, length: this.#bytes };
  }

  #spill(): void {
    if (this.#pending.length === 0) return;
    const chunk = Buffer.from(this.#pending.join(''), 'utf8');
    this.#pending = [];
    this.#pendingChars = 0;
    this.#bytes += chunk.length;
    checkResponseSize(this.#bytes, this.#limits);
    this.#chunks.push(chunk);
  }
}

export interface EncodedBody {
  readonly chunks: readonly Buffer[];
  readonly length: number;
}

/** What a reply sends for an encoded body: the bytes themselves, or a stream of the chunks for a large one. */
export function replyBody(body: EncodedBody): Buffer | Readable {
  if (body.chunks.length === 1) return body.chunks[0]!;
  if (body.chunks.length === 0) return Buffer.alloc(0);
  return Readable.from(body.chunks, { objectMode: false });
}

/**
 * Writes a tensor's elements from dimension `fromDim` on, starting at flat element `offset`, as nested JSON lists
 * (a single value when no dimensions remain); `separator` between items (Python's json.dumps writes ', ').
 * Returns a promise only when it yields on the way (a large subtree); a small one is written at once.
 */
export function writeNested(
  sink: JsonSink, shape: readonly number[], fromDim: number, offset: number, write: (i: number) => string, separator = ',',
): Promise<void> | undefined {
  if (fromDim >= shape.length) {
    sink.write(write(offset));
    return undefined;
  }
  let span = 1;
  for (let d = fromDim; d < shape.length; d++) span *= shape[d]!;
  if (span <= SYNC_ELEMENTS) {
    writeSync(sink, shape, fromDim, offset, write, separator);
    return undefined;
  }
  return writeAsync(sink, shape, fromDim, offset, write, separator);
}

function writeSync(sink: JsonSink, shape: readonly number[], dim: number, start: number, write: (i: number) => string, separator: string): void {
  const size = shape[dim]!;
  if (dim === shape.length - 1) {
    const items = new Array<string>(size);
    for (let i = 0; i < size; i++) items[i] = write(start + i);
    sink.write(`[${items.join(separator)}]`);
    return;
  }
  const stride = strideOf(shape, dim);
  sink.write('[');
  for (let i = 0; i < size; i++) {
    if (i > 0) sink.write(separator);
    writeSync(sink, shape, dim + 1, start + i * stride, write, separator);
  }
  sink.write(']');
}

async function writeAsync(sink: JsonSink, shape: readonly number[], dim: number, start: number, write: (i: number) => string, separator: string): Promise<void> {
  const size = shape[dim]!;
  sink.write('[');
  if (dim === shape.length - 1) {
    // A batch of elements becomes one string: the sink then holds few strings for the collector to copy while it
    // waits to spill, where one string per element kept scavenges of the young generation long.
    for (let from = 0; from < size; from += SYNC_ELEMENTS) {
      const to = Math.min(size, from + SYNC_ELEMENTS);
      const items = new Array<string>(to - from);
      for (let i = from; i < to; i++) items[i - from] = write(start + i);
      if (from > 0) sink.write(separator);
      sink.write(items.join(separator));
      if (sink.due(to - from)) await sink.pause();
    }
  } else {
    const stride = strideOf(shape, dim);
    for (let i = 0; i < size; i++) {
      if (i > 0) sink.write(separator);
      const pending = writeNested(sink, shape, dim + 1, start + i * stride, write, separator);
      if (pending) await pending;
      else if (sink.due(stride)) await sink.pause();
    }
  }
  sink.write(']');
}

function strideOf(shape: readonly number[], dim: number): number {
  let stride = 1;
  for (let d = dim + 1; d < shape.length; d++) stride *= shape[d]!;
  return stride;
}
