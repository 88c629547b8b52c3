import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAll, tracked } from './helpers/processes.ts';
import { REPO_ROOT } from './helpers/server.ts';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');

async function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${buffered.slice(-2000)}`)), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = buffered.split('\n').find((line) => pattern.test(line));
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

afterEach(() => stopAll());

describe('ferry serve (the CLI)', () => {
  /**
   * Starts `ferry serve examples/models`, sends a wave of 64 MLP requests, sends SIGTERM as the first is answered,
   * and reports the exit code and each request's status with whether it was answered after the signal.
   */
  async function waveThenSigterm(): Promise<{ code: number | null; answers: { status: number; afterSignal: boolean }[] }> {
    const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', 'examples/models', '--http-port', '0', '--grpc-port', '0', '--poll-seconds', '0', '--log-level', 'info'], {
      cwd: REPO_ROOT, env: { ...process.env, FERRY_HTTP_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    }));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await waitForLine(child.stdout!, /"msg":"ferry serving"/, 20_000);
    const port = JSON.parse(line).http.split(':').at(-1);
    if (process.platform === 'linux') {
      // http.accept_sockets (default 8) listening sockets share the port, so a burst of new clients is accepted fast.
      const hexPort = `:${Number(port).toString(16).toUpperCase().padStart(4, '0')}`;
      const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(hexPort) && f[3] === '0A');
      expect(listening).toHaveLength(8);
    }
    const url = `http://127.0.0.1:${port}/v2/models/mlp/infer`;
    const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [256, 256], data: new Array(256 * 256).fill(0.25) }] });
    let signalled = false;
    let firstAnswer: () => void;
    const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
    const inflight = Array.from({ length: 64 }, () => fetch(url, { method: 'POST', body }).then((r) => {
      firstAnswer();
      return { status: r.status, afterSignal: signalled };
    }));
    await answered; // the server is now busy with the rest of the wave, unless a loaded machine slowed the uploads
    signalled = true;
    child.kill('SIGTERM');
    const settled = await Promise.allSettled(inflight);
    const answers = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ status: number; afterSignal: boolean }>).value);
    return { code: await exited, answers };
  }

  it('serves the example repository and drains in-flight requests on SIGTERM, exiting 0', async () => {
    // Which requests are inside the server at the signal depends on timing: on a loaded machine the wave may still
    // be uploading. Waves repeat (at most three) until one has requests answered after the signal.
    let drainedAfterSignal = 0;
    for (let attempt = 0; attempt < 3 && drainedAfterSignal === 0; attempt++) {
      const { code, answers } = await waveThenSigterm();
      expect(code).toBe(0);
      // Requests the server had accepted complete; any that arrived after it stopped listening were refused, not cut.
      expect(answers.length).toBeGreaterThan(0);
      for (const { status } of answers) expect([200, 503]).toContain(status);
      drainedAfterSignal = answers.filter((a) => a.status === 200 && a.afterSignal).length;
    }
    expect(drainedAfterSignal, 'requests in flight at SIGTERM were answered 200').toBeGreaterThan(0);
  }, 90_000);

  it('exits 1 with a clear message when the model repository does not exist', async () => {
    const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', '/nonexistent/models', '--http-port', '0', '--grpc-port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    // The server's fatal log line (JSON on stdout) names the code and the folder.
    expect(output).toMatch(/"code":"FERRY_ERR_CONFIG_INVALID"/);
    expect(output).toMatch(/invalid configuration: model repository '\/nonexistent\/models' does not exist/);
  }, 60_000);

  // A holder that shares its port (SO_REUSEPORT, as Ferry's own HTTP sockets do) must not let a second server in.
  // The clash is one JSON log line (fatal, with the code) and exit 1 before any model loads; nothing else is
  // written, not even grpc-js's own words about the failed bind.
  it.each([
    { server: 'HTTP', setting: '--http-port / http.port', reusePort: false, workers: 1 },
    { server: 'HTTP', setting: '--http-port / http.port', reusePort: true, workers: 1 },
    { server: 'gRPC', setting: '--grpc-port / grpc.port', reusePort: false, workers: 1 },
    { server: 'gRPC', setting: '--grpc-port / grpc.port', reusePort: false, workers: 2 },
  ])('exits 1 with one JSON line naming the $server server, address and setting when its port is taken (holder shares it: $reusePort, workers: $workers)', async ({ server, setting, reusePort, workers }) => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ port: 0, host: '127.0.0.1', reusePort }, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const ports = server === 'HTTP' ? ['--http-port', String(port), '--grpc-port', '0'] : ['--http-port', '0', '--grpc-port', String(port)];
      const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', 'examples/models', ...ports, '--workers', String(workers), '--poll-seconds', '0', '--log-level', 'info'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toBe('');
      const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string; code?: string });
      const fatal = lines.filter((line) => line.level >= 50);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]!.level).toBe(60);
      expect(fatal[0]!.code).toBe('FERRY_ERR_CONFIG_INVALID');
      expect(fatal[0]!.msg).toContain(`${server} cannot listen on 127.0.0.1:${port} (${setting}): `);
      expect(fatal[0]!.msg).toMatch(/EADDRINUSE/);
      expect(lines.filter((line) => /AVAILABLE|loading models/.test(line.msg)), 'no model loads').toEqual([]);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('exits 1 with a clear message for an invalid flag value', async () => {
    const child = tracked(spawn(NODE, ['bin/ferry.js', 'serve', 'examples/models', '--http-port', 'eighty'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/FERRY_ERR_CONFIG_INVALID: invalid configuration: http.port/);
  }, 60_000);
});
