import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { ferryError } from '../../errors/index.ts';

export interface ConnectionLimitOptions {
  /** Connections open at once, over every server watched. */
  readonly max: number;
  /** Where the maximum comes from, for the refusal's text. */
  readonly setting: string;
  /** A connection that has not sent a whole request's headers by then is closed (the headers timeout). */
  readonly firstRequestTimeoutMs: number;
}

interface Tracked {
  inFlight: number;
  seenRequest: boolean;
}

const RETRY_AFTER_S = 1;

/**
 * Caps the connections of several HTTP servers (the listening sockets of one port) and the gRPC port together. At the cap a new
 * connection takes the place of the oldest idle one (open, nothing in flight) — so that a health check or a real
 * client still gets in while thousands of idle sockets are held open — and is refused when every connection is
 * busy. Plain HTTP refusals get a 503 with Retry-After; TLS ones are closed.
 */
export class ConnectionLimit {
  readonly max: number;
  readonly #options: ConnectionLimitOptions;
  /** Connections in the order they came: the first idle one is the oldest. */
  readonly #tracked = new Map<Socket, Tracked>();
  #open = 0;
  #refused = 0;
  #evicted = 0;

  constructor(options: ConnectionLimitOptions) {
    this.max = options.max;
    this.#options = options;
  }

  get open(): number {
    return this.#open;
  }

  get refused(): number {
    return this.#refused;
  }

  get evicted(): number {
    return this.#evicted;
  }

  watch(server: NetServer, tls: boolean): void {
    server.on('connection', (socket: Socket) => this.#onConnection(socket, tls));
    if (tls) server.on('secureConnection', (socket: Socket) => this.#track(socket));
  }

  /**
   * Counts a connection whose requests this cannot see (gRPC's HTTP/2 connections, whose calls grpc-js holds): it
   * is never closed to make room, and at the cap it takes the place of an idle HTTP connection or is closed.
   * Returns whether it was let in.
   */
  admit(socket: Socket): boolean {
    if (this.#open >= this.max && !this.#evictIdle()) {
      this.#refused++;
      socket.on('error', () => undefined);
      socket.destroy();
      return false;
    }
    this.#open++;
    socket.once('close', () => {
      this.#open--;
    });
    return true;
  }

  /** Counts a request as in flight on its connection until its answer has gone (or the connection died). */
  request(req: IncomingMessage, res: ServerResponse): void {
    const tracked = this.#tracked.get(req.socket);
    if (tracked === undefined) return;
    if (!tracked.seenRequest) {
      tracked.seenRequest = true;
      req.socket.setTimeout(0); // the first request came: Node's own timeouts watch the connection from here
    }
    tracked.inFlight++;
    res.once('close', () => {
      tracked.inFlight--;
    });
  }

  #onConnection(socket: Socket, tls: boolean): void {
    if (this.#open >= this.max && !this.#evictIdle()) {
      this.#refuse(socket, tls);
      return;
    }
    this.#open++;
    socket.once('close', () => {
      this.#open--;
    });
    if (!tls) this.#track(socket);
  }

  #track(socket: Socket): void {
    this.#tracked.set(socket, { inFlight: 0, seenRequest: false });
    socket.once('close', () => this.#tracked.delete(socket));
    // A connection that never sends anything is not covered by the headers timeout, which starts at the first byte.
    socket.setTimeout(this.#options.firstRequestTimeoutMs, () => {
      if (!this.#tracked.get(socket)?.seenRequest) socket.destroy();
    });
  }

  #evictIdle(): boolean {
    for (const [socket, tracked] of this.#tracked) {
      if (tracked.inFlight > 0) continue;
      this.#tracked.delete(socket);
      socket.destroy();
      this.#evicted++;
      // The count drops when its 'close' event fires, a turn of the loop later; the newcomer is let in now.
      return true;
    }
    return false;
  }

  #refuse(socket: Socket, tls: boolean): void {
    this.#refused++;
    socket.on('error', () => undefined);
    if (tls) {
      socket.destroy();
      return;
    }
    const failure = ferryError('FERRY_ERR_SERVER_BUSY', {
      detail: `${this.max} connections are open and none is idle`, setting: this.#options.setting, retry_after_s: RETRY_AFTER_S,
    });
    const body = JSON.stringify({ error: failure.message });
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `retry-after: ${RETRY_AFTER_S}\r\nconnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  }
}
