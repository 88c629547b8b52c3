import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COPY_SLICE_BYTES } from '../../tensor/index.ts';
import { countingTurns } from '../../tensor/test-support/event-loop-turns.ts';
import { readBody } from './read-body.ts';

const CHUNK = 64 * 1024;

/** A request body stream that sends `body` in CHUNK-byte pieces, each on a later turn of the event loop. */
function sending(body: Buffer, end = true): IncomingMessage {
  const stream = new PassThrough();
  void (async () => {
    for (let offset = 0; offset < body.length; offset += CHUNK) {
      await new Promise((resolve) => setImmediate(resolve));
      stream.write(body.subarray(offset, offset + CHUNK));
    }
    if (end) stream.end();
  })();
  return stream as unknown as IncomingMessage;
}

function bodyOf(size: number): Buffer {
  const body = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) body[i] = (i * 7 + (i >> 12)) % 251;
  return body;
}

describe('readBody', () => {
  it('copies a body of declared length into one buffer of its own as it arrives, byte for byte', async () => {
    const body = bodyOf(3 * 1024 * 1024 + 17);
    const read = await readBody(sending(body), String(body.length), 64 * 1024 * 1024);
    expect(read.equals(body)).toBe(true);
    // Its own whole ArrayBuffer, which a decode thread can take by transfer.
    expect([read.byteOffset, read.buffer.byteLength]).toEqual([0, body.length]);
  });

  it('joins a long body of unknown length a slice at a time, with turns of the event loop between slices', async () => {
    const body = bodyOf(4 * COPY_SLICE_BYTES + 5);
    const stream = sending(body);
    let turnsBeforeJoin = 0;
    const { result, turns } = await countingTurns((turnsSoFar) => {
      const read = readBody(stream, undefined, 64 * 1024 * 1024);
      // Listens after readBody: the join has started, its first slice copied, when this counts.
      stream.once('end', () => { turnsBeforeJoin = turnsSoFar(); });
      return read;
    });
    expect(result.equals(body)).toBe(true);
    expect(turns - turnsBeforeJoin).toBeGreaterThanOrEqual(Math.floor(body.length / COPY_SLICE_BYTES));
  });

  it('joins small bodies, declared or not, into a copy of their own', async () => {
    const body = bodyOf(200 * 1024);
    for (const declared of [String(body.length), undefined]) {
      const stream = sending(body);
      const read = await readBody(stream, declared, 1024 * 1024);
      expect(read.equals(body)).toBe(true);
    }
    expect((await readBody(sending(Buffer.alloc(0)), undefined, 10)).length).toBe(0);
  });

  it('refuses a body over the limit as Fastify does: by its declared length at once, or as its bytes pass the limit', async () => {
    const body = bodyOf(300 * 1024);
    await expect(readBody(sending(body), String(body.length), body.length - 1)).rejects.toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    await expect(readBody(sending(body), undefined, body.length - 1)).rejects.toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect((await readBody(sending(body), undefined, body.length)).equals(body)).toBe(true);
  });

  it('refuses a body shorter or longer than its Content-Length, and passes a stream error on as a 400', async () => {
    const body = bodyOf(300 * 1024);
    await expect(readBody(sending(body), String(body.length + 1), 1024 * 1024)).rejects.toMatchObject({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
    await expect(readBody(sending(body), String(body.length - 1), 1024 * 1024)).rejects.toMatchObject({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
    const broken = sending(body, false);
    setTimeout(() => broken.destroy(new Error('aborted')), 50);
    await expect(readBody(broken, String(body.length), 1024 * 1024)).rejects.toMatchObject({ message: 'aborted', statusCode: 400 });
  });
});
