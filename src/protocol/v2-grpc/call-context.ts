import type { Metadata } from '@grpc/grpc-js';
import type { Parameters } from '../../tensor/index.ts';

interface CallLike {
  getDeadline(): Date | number;
  getPeer(): string;
  readonly metadata: Metadata;
  on(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The data plane deadline (epoch ms) of a call: its gRPC deadline, or the request's `timeout` parameter in
 * microseconds (as in V2 REST), whichever comes first.
 */
export function deadlineOf(call: CallLike, parameters: Parameters | undefined): number | undefined {
  const raw = call.getDeadline();
  const grpcDeadline = raw instanceof Date ? raw.getTime() : raw;
  let deadline = Number.isFinite(grpcDeadline) ? grpcDeadline : undefined;
  const timeoutUs = parameters?.['timeout'];
  if (typeof timeoutUs === 'number' && timeoutUs > 0) {
    const fromParameter = Date.now() + timeoutUs / 1000;
    deadline = deadline === undefined ? fromParameter : Math.min(deadline, fromParameter);
  }
  return deadline;
}

/**
 * The call as the management guard sees a request: its `authorization` metadata and the peer's address
 * (grpc-js reports the peer as "<address>:<port>").
 */
export function asGuardedRequest(call: CallLike): { headers: Record<string, string | undefined>; socket: { remoteAddress: string } } {
  const authorization = call.metadata.get('authorization')[0];
  const peer = call.getPeer();
  const colon = peer.lastIndexOf(':');
  return {
    headers: { authorization: typeof authorization === 'string' ? authorization : authorization?.toString('utf8') },
    socket: { remoteAddress: colon > 0 ? peer.slice(0, colon) : peer },
  };
}
