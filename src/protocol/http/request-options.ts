import { ferryError } from '../../errors/index.ts';

/**
 * `ferry-timeout-ms` header → epoch-ms deadline; the earliest of header and protocol timeout wins. Both count from
 * `arrivedAt`, when the request's headers were parsed: the time its body took to arrive and be decoded is part of
 * what the client waits, so it is part of the deadline too.
 */
export function deadlineFrom(headerValue: string | string[] | undefined, arrivedAt: number, protocolTimeoutMs?: number): number | undefined {
  let timeoutMs = protocolTimeoutMs;
  if (headerValue !== undefined) {
    const text = Array.isArray(headerValue) ? headerValue[0] : headerValue;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: 'ferry-timeout-ms', detail: `'${text}' is not a positive number of milliseconds` });
    }
    timeoutMs = timeoutMs === undefined ? parsed : Math.min(timeoutMs, parsed);
  }
  return timeoutMs === undefined ? undefined : arrivedAt + timeoutMs;
}

/** Epoch ms when Fastify began handling a request (its headers parsed), for `deadlineFrom`. */
export function arrivalOf(reply: { readonly elapsedTime: number }): number {
  return Date.now() - reply.elapsedTime;
}

/** An AbortSignal that fires when the client goes away before the response is written. */
export function clientGoneSignal(response: { once(event: 'close', fn: () => void): unknown; readonly writableEnded: boolean }): AbortSignal {
  const controller = new AbortController();
  // A response closes when it is sent or when its connection drops; only the second means the client left.
  response.once('close', () => {
    if (!response.writableEnded) controller.abort();
  });
  return controller.signal;
}
