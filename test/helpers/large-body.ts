import { request } from 'node:http';

export interface LargeBodyAnswer {
  readonly status: number | undefined;
  readonly retryAfter: string | undefined;
  readonly body: string;
  /** Bytes of the body written before the answer came or the connection closed. */
  readonly sent: number;
  readonly error?: string;
}

/**
 * POSTs `size` bytes (a JSON string of spaces, whose decoding fails once it is whole) in 1 MiB writes, with a
 * Content-Length or chunked, each on its own connection; stops writing as soon as an answer arrives.
 */
export function postLargeBody(port: number, path: string, size: number, options: { chunked?: boolean } = {}): Promise<LargeBodyAnswer> {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (!options.chunked) headers['content-length'] = size;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const finish = (answer: LargeBodyAnswer) => {
      if (answered) return;
      answered = true;
      resolve(answer);
    };
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        finish({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, body, sent });
        req.destroy();
      });
      res.on('error', () => finish({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, body, sent }));
    });
    req.on('error', (error) => finish({ status: undefined, retryAfter: undefined, body: '', sent, error: error.message }));
    const write = () => {
      while (!answered && sent < size) {
        const part = Math.min(chunk.length, size - sent);
        sent += part;
        if (!req.write(part === chunk.length ? chunk : chunk.subarray(0, part))) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered && sent >= size) req.end();
    };
    req.flushHeaders();
    write();
  });
}
