import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FerryError } from '../../errors/index.ts';
import type { InflightBudget, InflightLease } from './inflight-budget.ts';

interface Admitted {
  readonly lease: InflightLease;
  readonly res: ServerResponse;
  /** The declared Content-Length was reserved whole: streamed bytes need no more counting. */
  readonly declared: boolean;
}

/**
 * Lets an HTTP request in only when its body fits in the in-flight budget, before a byte of the body is read:
 * a declared Content-Length is reserved whole at once; a body without one (chunked) is counted as it streams,
 * by `takeStreamed` (the V2 fast path) or `meter` (a stream the Fastify routes read through). Whatever a
 * request holds goes back when its response has been sent or its connection has died.
 */
export class HttpAdmission {
  readonly #budget: InflightBudget;
  readonly #largestBody: number;
  readonly #admitted = new WeakMap<IncomingMessage, Admitted>();

  /**
   * `largestBody`: the most any route reads into memory. A declared length beyond it is refused by its route
   * (413, permanent) without a byte being read, so it reserves nothing and is never told to retry (503).
   */
  constructor(budget: InflightBudget, largestBody: number) {
    this.#budget = budget;
    this.#largestBody = largestBody;
  }

  /** Reserves the request's declared length; false when it was refused (then it has been answered 503). */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const lease = this.#budget.lease();
    res.once('close', () => lease.end());
    const length = declaredLength(req);
    if (length !== undefined && length > this.#largestBody) {
      this.#admitted.set(req, { lease, res, declared: true });
      return true;
    }
    if (length !== undefined) {
      if (!lease.take(length)) return refuse(res, this.#budget.busy(length));
    } else if (req.headers['transfer-encoding'] !== undefined && this.#budget.full()) {
      return refuse(res, this.#budget.busy(undefined));
    }
    this.#admitted.set(req, { lease, res, declared: length !== undefined });
    return true;
  }

  /** Counts `bytes` more of a body that declared no length; undefined when they fit, else the refusal. */
  takeStreamed(req: IncomingMessage, bytes: number): FerryError | undefined {
    const admitted = this.#admitted.get(req);
    if (admitted === undefined || admitted.declared || admitted.lease.take(bytes)) return undefined;
    // The rest of the body is not read: the answer closes the connection.
    if (!admitted.res.headersSent) admitted.res.setHeader('connection', 'close');
    return this.#budget.busy(admitted.lease.held + bytes);
  }

  /** The body stream a Fastify route reads: counted against the budget when it declared no length. */
  meter(req: IncomingMessage, payload: Readable): Readable {
    const admitted = this.#admitted.get(req);
    if (admitted === undefined || admitted.declared) return payload;
    const counted = new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        const refusal = this.takeStreamed(req, chunk.length);
        callback(refusal, refusal === undefined ? chunk : undefined);
      },
    });
    payload.on('error', (error) => counted.destroy(error));
    return payload.pipe(counted);
  }
}

/** A well-formed Content-Length, or undefined (absent or malformed: Node's parser refuses the malformed ones). */
function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

/** Answers 503 with Retry-After and closes the connection, so the body the client may still send is not read. */
function refuse(res: ServerResponse, failure: FerryError): false {
  const body = JSON.stringify({ error: failure.message });
  res.writeHead(failure.http, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(failure.params['retry_after_s'] ?? 1),
    connection: 'close',
  }).end(body);
  return false;
}
