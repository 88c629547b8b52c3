import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from './helpers/server.ts';

/**
 * Ferry listens on several sockets sharing its HTTP port (http.accept_sockets, SO_REUSEPORT on Linux); the kernel
 * picks one per connection. Whichever took it, a connection must get the same answers: the V2 fast path, Fastify's
 * routes, and Fastify's 400 for a request Node's parser refuses.
 */
let ferry: RunningFerry;
beforeAll(async () => {
  ferry = await startFerry({ http: { accept_sockets: 8 } });
});
afterAll(async () => {
  await ferry.stop();
});

/** Sends raw bytes on a new connection and returns the whole answer (the server closes the connection after it). */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error('no answer within 5 s')));
  });
}

describe('HTTP on several listening sockets', () => {
  it('answers every new connection the same, whichever socket accepted it', async () => {
    const port = ferry.ports.httpPort;
    const infer = JSON.stringify({ inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(1) },
    ] });
    const inferRequest = `POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${infer.length}\r\nConnection: close\r\n\r\n${infer}`;
    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => {
      if (i % 4 === 0) return exchange(port, 'NOT A REQUEST\r\n\r\n');
      if (i % 4 === 1) return exchange(port, 'GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      if (i % 4 === 2) return exchange(port, 'GET /no/such/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      return exchange(port, inferRequest);
    }));
    answers.forEach((answer, i) => {
      const [status, body] = [answer.slice(0, answer.indexOf('\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
      if (i % 4 === 0) {
        expect(status).toBe('HTTP/1.1 400 Bad Request');
        expect(JSON.parse(body).error).toMatch(/^malformed HTTP request: /); // Ferry's clientError answer, not Node's bare 400
      } else if (i % 4 === 2) {
        expect(status).toBe('HTTP/1.1 404 Not Found');
        expect(JSON.parse(body).error).toMatch(/no route/i);
      } else {
        expect(status).toBe('HTTP/1.1 200 OK');
        if (i % 4 === 3) expect(JSON.parse(body).outputs[0].data).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
      }
    });
  });
});
