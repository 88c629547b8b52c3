/**
 * Frames between Ferry and a Python worker: u32 LE length of what follows, u8 kind, u32 LE request id, the body.
 * The same layout is read and written by workers/python/ferry_worker/frames.py.
 */
export const FRAME = {
  LOAD: 1, PREDICT: 2, PING: 3, READY: 4, PREDICT_BATCH: 5,
  LOADED: 101, RESULT: 102, ERROR: 103, PONG: 104, READY_ANSWER: 105,
} as const;

export interface Frame {
  readonly kind: number;
  readonly id: number;
  readonly body: Buffer;
}

const HEADER = 9;

/** The frame header for a body of `bodyBytes` bytes; the body parts follow it on the pipe. */
export function frameHeader(kind: number, id: number, bodyBytes: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(bodyBytes + 5, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32LE(id, 5);
  return header;
}

/** Splits a byte stream into frames, however the pipe cut it. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.#buffered >= HEADER) {
      const head = this.#peek(HEADER);
      const length = head.readUInt32LE(0);
      if (this.#buffered < length + 4) break;
      const whole = this.#take(length + 4);
      // A fresh copy of the body: typed arrays made from it must start at an aligned offset.
      frames.push({ kind: whole.readUInt8(4), id: whole.readUInt32LE(5), body: Buffer.from(whole.subarray(HEADER)) });
    }
    return frames;
  }

  #peek(size: number): Buffer {
    if (this.#chunks[0]!.length < size) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(size: number): Buffer {
    const joined = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = joined.length > size ? [joined.subarray(size)] : [];
    this.#buffered -= size;
    return joined.subarray(0, size);
  }
}
