import { ferryError, type FerryError } from '../../errors/index.ts';

/** Seconds a client refused for want of memory is asked to wait: in-flight requests finish in well under that. */
export const BUSY_RETRY_AFTER_S = 1;
const SETTING = 'limits.inflight_bytes / FERRY_LIMITS_INFLIGHT_BYTES';

/**
 * The request bytes that all requests in flight, on every protocol, may hold together. A request reserves its
 * declared length before its body is read (or its bytes as they stream in when it declares none) and gives them
 * back when its answer has gone out; one that does not fit is refused, so memory stays bounded however many
 * large bodies arrive at once.
 */
export class InflightBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  tryReserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }

  /** Whether nothing more fits: a request whose size is unknown yet is refused then. */
  full(): boolean {
    return this.#used >= this.limit;
  }

  /** A lease that holds one request's bytes until `end()`, which may be called more than once. */
  lease(): InflightLease {
    return new InflightLease(this);
  }

  /** The error a refused request gets. */
  busy(bytes: number | undefined): FerryError {
    const what = bytes === undefined ? 'a request' : `a request of ${bytes} bytes`;
    return ferryError('FERRY_ERR_SERVER_BUSY', {
      detail: `${what} does not fit in the ${this.limit} bytes that requests in flight may hold (${this.#used} held)`,
      setting: SETTING,
      retry_after_s: BUSY_RETRY_AFTER_S,
    });
  }
}

/** One request's share of the budget. */
export class InflightLease {
  readonly #budget: InflightBudget;
  #held = 0;
  #ended = false;

  constructor(budget: InflightBudget) {
    this.#budget = budget;
  }

  get held(): number {
    return this.#held;
  }

  /** Adds `bytes` to what this request holds; false when they do not fit (or the lease has ended). */
  take(bytes: number): boolean {
    if (this.#ended || !this.#budget.tryReserve(bytes)) return false;
    this.#held += bytes;
    return true;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#budget.release(this.#held);
    this.#held = 0;
  }
}
