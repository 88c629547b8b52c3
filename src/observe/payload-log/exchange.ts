import type { InferRequest, InferResponse } from '../../tensor/index.ts';

/**
 * One inference as the data plane saw it, handed to observers that need the payloads (the payload log). The
 * request and response tensors are read after the answer has gone out; they are never written to again (runtimes
 * must not keep request tensors, and outputs are not reused).
 */
export interface InferExchange {
  readonly model: string;
  /** The version that answered, or '' when none was resolved. */
  readonly version: string;
  readonly protocol: string;
  /** Undefined when the body could not be decoded. */
  readonly request: InferRequest | undefined;
  readonly response: InferResponse | undefined;
  /** The failure, for an exchange that ended in an error. */
  readonly error: { readonly code: string; readonly status: number; readonly message: string } | undefined;
  /** Epoch ms when the data plane took the request, and how long it took to answer. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The W3C traceparent of the request's span, when it is traced. */
  readonly traceparent?: string | undefined;
}

/** What takes exchanges; `log` is called on the request path and must return at once. */
export interface ExchangeObserver {
  log(exchange: InferExchange): void;
}
