/** Bytes copied between two yields to the event loop: a few milliseconds of memcpy even on a loaded machine. */
export const COPY_SLICE_BYTES = 4 * 1024 * 1024;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * `source` into a buffer of its own (one that postMessage can transfer), a slice at a time with a turn of the
 * event loop between slices: one copy of a 64 MiB tensor is a single step of 20-150 ms.
 */
export function copyInSlices(source: ArrayBufferView): Promise<Uint8Array<ArrayBuffer>> {
  return joinInSlices([new Uint8Array(source.buffer, source.byteOffset, source.byteLength)], source.byteLength);
}

/** Chunks joined into one buffer of `size` bytes, a slice at a time like copyInSlices (a long chunk over several slices). */
export async function joinInSlices(chunks: readonly Uint8Array[], size: number): Promise<Buffer<ArrayBuffer>> {
  const joined = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  let sinceTurn = 0;
  for (const chunk of chunks) {
    for (let from = 0; from < chunk.byteLength;) {
      if (sinceTurn >= COPY_SLICE_BYTES) {
        await turn();
        sinceTurn = 0;
      }
      const piece = chunk.subarray(from, from + COPY_SLICE_BYTES - sinceTurn);
      joined.set(piece, offset);
      offset += piece.byteLength;
      from += piece.byteLength;
      sinceTurn += piece.byteLength;
    }
  }
  return joined;
}
