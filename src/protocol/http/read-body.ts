import type { IncomingMessage } from 'node:http';
import { errorCodes } from 'fastify';
import { joinInSlices } from '../../tensor/index.ts';

/** Bodies from this size on are copied into place as they arrive, or joined in slices; smaller ones are joined at once. */
const ASSEMBLE_MIN_BYTES = 256 * 1024;

type Payload = IncomingMessage & { receivedEncodedLength?: number };

/**
 * A request body as one Buffer, read as Fastify's own buffer parser reads it (the same limit, the same errors for
 * a body too large or shorter than its Content-Length), without its one step at the end that joins every chunk: a
 * body of declared length is copied into place chunk by chunk as it arrives, and a long one of unknown length is
 * joined a slice at a time. A large body owns its whole ArrayBuffer, so a decode thread can take it by transfer.
 */
export function readBody(payload: Payload, contentLength: string | undefined, limit: number): Promise<Buffer> {
  const declared = Number(contentLength);
  if (declared > limit) return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const assembled = Number.isSafeInteger(declared) && declared >= ASSEMBLE_MIN_BYTES ? Buffer.allocUnsafeSlow(declared) : undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.off('data', onData).off('end', onEnd).off('error', onEnd);
    };
    function onData(chunk: Buffer | string): void {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        stop();
        reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      if (assembled !== undefined && received <= assembled.length) assembled.set(bytes, received - bytes.length);
      else chunks.push(bytes);
    }
    function onEnd(error?: Error & { statusCode?: number }): void {
      stop();
      if (error != null) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        reject(error);
        return;
      }
      if (!Number.isNaN(declared) && (payload.receivedEncodedLength || received) !== declared) {
        reject(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      if (assembled !== undefined) resolve(assembled);
      // A copy even of one chunk: the parser never gets a view of the socket's shared read buffer.
      else if (received < ASSEMBLE_MIN_BYTES) resolve(Buffer.concat(chunks, received));
      else joinInSlices(chunks, received).then(resolve, reject);
    }
    payload.on('data', onData).on('end', onEnd).on('error', onEnd);
    payload.resume();
  });
}
