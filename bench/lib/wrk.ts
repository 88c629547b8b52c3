/**
 * `wrk` (Debian package `wrk`, C, epoll) as a load generator in its own process: autocannon runs inside the bench's
 * Node process and on a 2-core machine saturates before the server does. The request is set in a Lua script
 * written to a temporary file; the body is read by that script from a second file in binary mode, so that binary
 * bodies (the V2 binary tensor extension) go out byte for byte.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadOptions, LoadResult } from './load.ts';

/** Time wrk may take beyond its measuring duration (start-up, connection set-up, report) before it is killed. */
const GRACE_SECONDS = 15;

let available: boolean | undefined;

/** Whether an executable `wrk` is on PATH (looked up once). */
export function wrkAvailable(): boolean {
  available ??= (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(path.join(dir, 'wrk'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return available;
}

/** A Lua string literal for any bytes: printable ASCII as is, everything else (and `"`, `\`) as decimal escapes. */
function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte}`;
  }
  return `${out}"`;
}

function luaScript(method: string, headers: Record<string, string>, bodyFile: string | undefined): string {
  const lines = [`wrk.method = ${luaString(method)}`];
  if (bodyFile !== undefined) {
    lines.push(
      `local file = assert(io.open(${luaString(bodyFile)}, "rb"))`,
      'wrk.body = file:read("*a")',
      'file:close()',
    );
  }
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  return `${lines.join('\n')}\n`;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** wrk prints durations as e.g. `812.00us`, `4.53ms`, `1.02s`, `1.50m`. */
function toMs(value: string, unit: string): number {
  const scale = TIME_UNITS_MS[unit];
  if (scale === undefined) throw new Error(`wrk: unknown time unit ${unit}`);
  return Number(value) * scale;
}

/** The figures of wrk's report (`--latency` for the percentiles). Throws when the report has no request rate. */
export function parseWrkOutput(output: string): LoadResult {
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in /m.exec(output);
  if (!rate || !total) throw new Error(`wrk: no request rate in its output:\n${output}`);
  const percentile = (p: string): number => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`wrk: no ${p}% latency in its output (run with --latency):\n${output}`);
    return toMs(match[1]!, match[2]!);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rate[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    errors: socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    total: Number(total[1]),
  };
}

/**
 * One bounded wrk run, one thread, `connections` connections. wrk takes whole seconds: `seconds` is rounded to
 * the nearest whole second, at least 1 (callers that derive rates from their own clock stay exact).
 */
export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(options.seconds));
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    let bodyFile: string | undefined;
    if (options.body !== undefined) {
      bodyFile = path.join(dir, 'body.bin');
      await writeFile(bodyFile, options.body);
    }
    await writeFile(script, luaScript(options.method ?? 'POST', headers, bodyFile));
    const args = ['-t1', `-c${options.connections}`, `-d${seconds}s`, '--latency', '-s', script, options.url];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('wrk', args, { timeout: (seconds + GRACE_SECONDS) * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (error, out, err) => {
        if (error) reject(new Error(`wrk ${args.join(' ')} failed${error.killed ? ` (killed after ${seconds + GRACE_SECONDS} s)` : ''}: ${error.message}\n${out}${err}`));
        else resolve(out);
      });
    });
    return parseWrkOutput(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
