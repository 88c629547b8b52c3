import { ferryError, isFerryError, type FerryError } from '../../errors/index.ts';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
}

/** Turns whatever fastify or a handler threw into a catalogue error; adapters then render it. */
export function toFerryError(error: unknown, context: { bodyLimit: number; contentLength?: string | undefined; contentType?: string | undefined }): FerryError {
  if (isFerryError(error)) return error;
  const e = (error ?? {}) as FastifyLikeError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ferryError('FERRY_ERR_BODY_TOO_LARGE', { size: context.contentLength ?? 'more than the limit of', limit: context.bodyLimit, setting: 'http.body_limit_bytes / FERRY_HTTP_BODY_LIMIT_BYTES' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type: context.contentType ?? '' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'empty body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'body length does not match Content-Length' });
    default:
      break;
  }
  if (error instanceof SyntaxError) return ferryError('FERRY_ERR_MALFORMED_BODY', { detail: error.message });
  if (e.validation) return ferryError('FERRY_ERR_INVALID_REQUEST', { detail: e.message ?? 'invalid' });
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return ferryError('FERRY_ERR_INVALID_REQUEST', { detail: e.message ?? 'bad request' });
  }
  return ferryError('FERRY_ERR_INTERNAL', { detail: e.message ?? String(error) }, error);
}
