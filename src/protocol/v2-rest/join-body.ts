import { isHeaderLengthText } from './decode-request.ts';

/**
 * Joins a request body's chunks. With the binary tensor extension the body is laid out so that the raw tensors,
 * which follow a JSON header of `headerLength` bytes, start on an 8-byte boundary: the decoder's typed arrays then
 * view them where they lie instead of copying them to an aligned place (one copy of every tensor saved; a large
 * body arrives in several chunks, so it is copied once here in any case).
 */
export function joinBody(chunks: readonly Buffer[], size: number, headerLength: number | undefined): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  if (headerLength === undefined || headerLength > size) return Buffer.concat(chunks, size);
  const body = allocateBody(size, headerLength);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/** The Inference-Header-Content-Length header when it is a plain byte count; anything else is for the decoder to refuse. */
export function declaredHeaderLength(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && isHeaderLengthText(value) ? Number(value) : undefined;
}

/**
 * A buffer for a body of `size` bytes, its raw tensors 8-byte aligned when it has a binary header of `headerLength`
 * bytes. A body whose length is declared is copied into one as its chunks arrive: each copy is one chunk's, where
 * joining the chunks at the end would be one copy of the whole body in a single step.
 */
export function allocateBody(size: number, headerLength: number | undefined): Buffer {
  const pad = headerLength === undefined || headerLength > size ? 0 : (8 - (headerLength % 8)) % 8;
  return Buffer.allocUnsafeSlow(size + pad).subarray(pad);
}
