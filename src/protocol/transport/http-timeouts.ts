import type { ServerOptions } from 'node:http';

export interface HttpTimeouts {
  /** A request's headers must all arrive within this (from its first byte). */
  readonly headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * Node's HTTP server options for these timeouts. They hold for every request, the V2 fast path included, as
 * Node's parser enforces them whoever handles the request; a late request gets 408 and its connection is closed.
 * Node checks for late requests every `connectionsCheckingInterval`: a fraction of the headers timeout, so that a
 * late request is cut off close to its deadline (Node's default of 30 s would let one run for 30 s more).
 */
export function httpServerTimeouts(timeouts: HttpTimeouts): ServerOptions {
  const requestTimeout = timeouts.requestTimeoutMs;
  const headersTimeout = Math.min(timeouts.headersTimeoutMs, requestTimeout); // Node refuses a longer one
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}
