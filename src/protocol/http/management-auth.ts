import { timingSafeEqual } from 'node:crypto';
import { ferryError } from '../../errors/index.ts';

interface RequestLike {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Management endpoints (load, unload, ...) need `Authorization: Bearer <token>` when a token is configured;
 * with none configured they answer loopback clients only, so a default install is never open to the network.
 */
export function managementGuard(token: string | undefined): (request: RequestLike) => void {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return (request) => {
    if (expected === undefined) {
      if (LOOPBACK.test(request.socket.remoteAddress ?? '')) return;
      throw ferryError('FERRY_ERR_UNAUTHORIZED');
    }
    const header = request.headers['authorization'];
    const value = Array.isArray(header) ? header[0] : header;
    const presented = value?.startsWith('Bearer ') ? Buffer.from(value.slice(7)) : undefined;
    if (!presented || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw ferryError('FERRY_ERR_UNAUTHORIZED');
    }
  };
}
