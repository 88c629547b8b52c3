import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('redacts authorization headers and tokens wherever they sit in a log object', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info({ req: { headers: { authorization: 'Bearer abcdefghijklmnop', host: 'x' } } }, 'request');
    logger.info({ headers: { authorization: 'Bearer abcdefghijklmnop' }, metadata: { authorization: 'Bearer abcdefghijklmnop' } }, 'grpc');
    logger.info({ auth: { token: 'abcdefghijklmnop' }, token: 'abcdefghijklmnop', config: { auth: { token: 'abcdefghijklmnop' } } }, 'config');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('abcdefghijklmnop');
    expect(JSON.parse(lines[0]!).req.headers).toEqual({ authorization: '[redacted]', host: 'x' });
  });

  it('redacts passwords in URLs and bearer tokens inside any logged text, errors included', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.warn({ url: 'redis://:pw-secret-1@cache:6379/0' }, 'cache at redis://user:pw-secret-2@cache:6379 unreachable');
    logger.error({ err: new Error('connect to postgres://ferry:pw-secret-3@db/ferry failed') }, 'registry');
    logger.info({ nested: { deeper: ['sent Authorization: Bearer pw-secret-4'] } }, 'text');
    const text = lines.join('\n');
    for (const secret of ['pw-secret-1', 'pw-secret-2', 'pw-secret-3', 'pw-secret-4']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ url: 'redis://:[redacted]@cache:6379/0', msg: 'cache at redis://user:[redacted]@cache:6379 unreachable' });
    expect(JSON.parse(lines[1]!).err).toMatchObject({ type: 'Error', message: 'connect to postgres://ferry:[redacted]@db/ferry failed' });
    expect(JSON.parse(lines[1]!).err.stack).toContain('postgres://ferry:[redacted]@db/ferry');
  });

  it('logs everything else as given', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).info({ model: 'churn', version: 2, path: 'churn/2/model.json', url: 'http://127.0.0.1:8080/v2' }, 'model version AVAILABLE');
    expect(JSON.parse(lines[0]!)).toMatchObject({ model: 'churn', version: 2, path: 'churn/2/model.json', url: 'http://127.0.0.1:8080/v2', msg: 'model version AVAILABLE', service: 'ferry' });
  });
});

describe('logger on standard output', () => {
  // A server whose parent (the reader of its log) died must still exit: lines logged just before process.exit()
  // fail with EPIPE, and pino's asynchronous stream retried such a write forever in its exit-time flush.
  it('lets the process exit when the reader of its standard output is gone', async () => {
    const logger = new URL('./logger.ts', import.meta.url).pathname;
    const script = `import { createLogger } from ${JSON.stringify(logger)};
      setTimeout(() => { const log = createLogger('info'); for (const m of ['unloaded', 'stopped', 'bye']) log.info(m); process.exit(3); }, 500);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.destroy(); // the reading end closes: every write from now on fails with EPIPE
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code, 'exited by itself, not killed after 15 s').toBe(3);
  }, 30_000);
});
