import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ferryError, isFerryError } from '../../errors/index.ts';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);

/** Answers smaller than this go uncompressed whatever Accept-Encoding says: the headers would cost more than the saving. */
export const COMPRESS_MIN_BYTES = 1024;

export type BodyEncoding = 'gzip' | 'deflate';

/** True when a Content-Encoding header asks for decoding (absent and `identity` do not). */
export function isEncoded(header: string | string[] | undefined): header is string | string[] {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  return text.split(',').some((token) => token.trim() !== '' && token.trim().toLowerCase() !== 'identity');
}

/**
 * Undoes a request's Content-Encoding (gzip or deflate, several applied in the order listed). The decoded body is
 * bounded by `limit` as an unencoded one is, so that a small compressed body cannot expand past it (a gzip bomb is
 * a 413, found while inflating, not after). A body that does not decode is a 400; another coding, a 415.
 */
export async function decodeContentEncoding(body: Buffer, header: string | string[], limit: number): Promise<Buffer> {
  const codings = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '' && t !== 'identity');
  let decoded = body;
  for (const coding of codings.reverse()) {
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== 'deflate') throw ferryError('FERRY_ERR_CONTENT_ENCODING_UNSUPPORTED', { encoding: coding.slice(0, 40) });
    decoded = await inflateOne(decoded, coding === 'deflate' ? 'deflate' : 'gzip', limit);
  }
  return decoded;
}

async function inflateOne(body: Buffer, coding: BodyEncoding, limit: number): Promise<Buffer> {
  const options = { maxOutputLength: limit };
  try {
    if (coding === 'gzip') return await gunzip(body, options);
    // HTTP's deflate is the zlib format (RFC 9110, 8.4.1.2); some clients send a raw deflate stream under the name.
    try {
      return await inflate(body, options);
    } catch (error) {
      if (isTooLarge(error)) throw error;
      return await inflateRaw(body, options);
    }
  } catch (error) {
    if (isFerryError(error)) throw error;
    if (isTooLarge(error)) {
      throw ferryError('FERRY_ERR_BODY_TOO_LARGE', { size: `more than ${limit} once decompressed`, limit, setting: 'http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES' });
    }
    throw ferryError('FERRY_ERR_CONTENT_ENCODING_INVALID', { encoding: coding, detail: (error as Error).message });
  }
}

function isTooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError;
}

/**
 * The coding to answer with, from a request's Accept-Encoding: gzip, else deflate, when the client takes it (a q of
 * 0 refuses a coding; `*` takes any); undefined for an answer sent as it is.
 */
export function responseEncoding(accept: string | string[] | undefined): BodyEncoding | undefined {
  if (accept === undefined) return undefined;
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(accept) ? accept.join(',') : accept).split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const wildcard = weights.get('*');
  const takes = (coding: string) => (weights.get(coding) ?? wildcard ?? 0) > 0;
  if (takes('gzip')) return 'gzip';
  if (takes('deflate')) return 'deflate';
  return undefined;
}

/**
 * Compresses an answer body with the coding responseEncoding chose, on libuv's thread pool. An answer in several
 * chunks is streamed through one compressor rather than first joined into one buffer.
 */
export async function compressBody(body: string | Buffer | readonly Buffer[], coding: BodyEncoding): Promise<Buffer> {
  if (!Array.isArray(body) || body.length === 1) {
    const whole = (Array.isArray(body) ? body[0] : body) as string | Buffer;
    return coding === 'gzip' ? gzip(whole) : deflate(whole);
  }
  const out: Buffer[] = [];
  const compressor = compressorFor(coding);
  compressor.on('data', (chunk: Buffer) => out.push(chunk));
  await pipeline(Readable.from(body), compressor);
  return Buffer.concat(out);
}

/** A streaming compressor for a body sent as a stream (the chunks of a large answer). */
export function compressorFor(coding: BodyEncoding): zlib.Gzip | zlib.Deflate {
  return coding === 'gzip' ? zlib.createGzip() : zlib.createDeflate();
}
