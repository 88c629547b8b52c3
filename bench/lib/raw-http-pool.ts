/**
 * A load generator's HTTP/1.1 client, as lean as wrk's: each request is one prebuilt buffer (head and body) written
 * on a keep-alive socket, and an answer is read only as far as its status line and `content-length`. On a 2-core
 * machine the generator shares the CPU with the server it measures, so what it spends per request is taken from
 * the server: undici's pool costs ~105-190 µs of CPU per 128 KiB request here, this ~65-80 µs (docs/performance.md).
 *
 * One request per socket at a time (no pipelining); a new socket whenever none is idle, so that arrivals never wait
 * for the server's answers (an open loop stays open). Answers must carry `content-length` (every Ferry answer does);
 * a chunked answer is counted as an error, not guessed at.
 */
import net from 'node:net';

export interface RawAnswer {
  /** HTTP status, or -1 when the exchange failed at the socket. */
  readonly status: number;
  /** The socket error's code, or what was wrong with the answer. */
  readonly error?: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The bytes of one `POST`, head and body together, to be written as they are for every request. */
export function requestBytes(url: URL, headers: Readonly<Record<string, string>>, body: Buffer): Buffer {
  const lines = [`POST ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, `content-length: ${body.length}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Where an answer's head ends and how long its body is, once the head has fully arrived. */
function parseHead(received: Buffer): { status: number; headEnd: number; bodyLength: number; close: boolean } | string | undefined {
  const headEnd = received.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = received.toString('latin1', 0, headEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  if (!Number.isInteger(status) || length === undefined) return `unreadable answer head: ${JSON.stringify(head.slice(0, 80))}`;
  return { status, headEnd: headEnd + HEAD_END.length, bodyLength: Number(length), close: /\r\nconnection:\s*close/i.test(head) };
}

export class RawHttpPool {
  readonly #idle: net.Socket[] = [];
  readonly #open = new Set<net.Socket>();

  readonly #port: number;
  readonly #host: string;

  constructor(port: number, host = '127.0.0.1') {
    this.#port = port;
    this.#host = host;
  }

  /** Sends `bytes` (from requestBytes) and resolves with the answer's status once the whole answer has arrived. */
  request(bytes: Buffer): Promise<RawAnswer> {
    const socket = this.#idle.pop() ?? this.#connect();
    return new Promise((resolve) => {
      let received: Buffer = Buffer.alloc(0);
      let written = false;
      let answer: { status: number; close: boolean } | undefined;
      let settled = false;
      const settle = (result: RawAnswer, reusable: boolean) => {
        if (settled) return;
        settled = true;
        socket.off('data', onData).off('error', onError).off('close', onClose);
        if (reusable) this.#idle.push(socket);
        else socket.destroy();
        resolve(result);
      };
      // The socket goes back to the pool only once the answer is in and the whole request has left: a server may
      // answer (429) before it has read the body, and the next request must not start its clock behind it.
      const finishIfDone = () => {
        if (answer !== undefined && written) settle({ status: answer.status }, !answer.close);
      };
      const onData = (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const head = parseHead(received);
        if (head === undefined) return;
        if (typeof head === 'string') return settle({ status: -1, error: head }, false);
        if (received.length < head.headEnd + head.bodyLength) return;
        answer = head;
        finishIfDone();
      };
      const onError = (error: NodeJS.ErrnoException) => settle({ status: answer?.status ?? -1, error: error.code ?? error.message }, false);
      const onClose = () => settle({ status: answer?.status ?? -1, error: answer === undefined ? 'closed before the answer' : undefined }, false);
      socket.on('data', onData).on('error', onError).on('close', onClose);
      socket.write(bytes, () => {
        written = true;
        finishIfDone();
      });
    });
  }

  /** Closes every socket, idle or busy. */
  close(): void {
    for (const socket of this.#open) socket.destroy();
    this.#idle.length = 0;
  }

  #connect(): net.Socket {
    const socket = net.connect({ port: this.#port, host: this.#host, noDelay: true });
    this.#open.add(socket);
    // An idle socket's error (the server went away) must not be an unhandled 'error' event; a busy one's is also
    // seen by its request.
    socket.on('error', () => {});
    socket.once('close', () => {
      this.#open.delete(socket);
      const at = this.#idle.indexOf(socket);
      if (at >= 0) this.#idle.splice(at, 1);
    });
    return socket;
  }
}
