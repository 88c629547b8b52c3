import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

const yamlFile = (text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ferry-cfg-')), 'ferry.yaml');
  writeFileSync(file, text);
  return file;
};

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({ env: {}, file: yamlFile('{}') });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, body_limit_bytes: 64 * 1024 * 1024, accept_sockets: 8, headers_timeout_ms: 10_000, request_timeout_ms: 120_000, keep_alive_timeout_ms: 72_000 });
    expect(config.limits).toMatchObject({ inflight_bytes: 1024 * 1024 * 1024, max_connections: 10_000 });
    expect(config.grpc).toMatchObject({ port: 8081, max_message_bytes: 32 * 1024 * 1024 });
    expect(config.runtime.heap_growing_percent).toBe(300);
    expect(config.poll_seconds).toBe(5);
    expect(config.model_repository).toBe('./models');
    expect(config.repository).toEqual({ allowed_paths: [], load_memory_mb: 2048, load_timeout_seconds: 120, upload_max_bytes: 64 * 1024 * 1024 });
  });

  it('names the line and column of a YAML syntax error but never quotes the file: the line may hold the token', () => {
    const secret = '0123456789abcdef-secret';
    for (const text of [`auth:\n  token: ${secret}: x\n`, `auth: {token: ${secret}\n`, `auth:\n token: ${secret}\n  port: 1\n`]) {
      const file = yamlFile(text);
      let message = '';
      try {
        loadConfig({ env: {}, file });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(new RegExp(`^invalid configuration: ${file}: .* at line \\d+, column \\d+$`));
      expect(message).not.toContain(secret);
    }
  });

  it('reads repository.allowed_paths from ferry.yaml, or from FERRY_REPOSITORY_ALLOWED_PATHS separated like PATH', () => {
    expect(loadConfig({ env: {}, file: yamlFile('repository:\n  allowed_paths: [/mnt/models, /srv/shared]\n') }).repository.allowed_paths).toEqual(['/mnt/models', '/srv/shared']);
    expect(loadConfig({ env: { FERRY_REPOSITORY_ALLOWED_PATHS: '/mnt/models:/srv/shared:' } }).repository.allowed_paths).toEqual(['/mnt/models', '/srv/shared']);
    expect(loadConfig({ env: { FERRY_REPOSITORY_LOAD_MEMORY_MB: '512', FERRY_REPOSITORY_LOAD_TIMEOUT_SECONDS: '30', FERRY_REPOSITORY_UPLOAD_MAX_BYTES: '2048' } }).repository).toMatchObject({ load_memory_mb: 512, load_timeout_seconds: 30, upload_max_bytes: 2048 });
    expect(() => loadConfig({ env: { FERRY_REPOSITORY_LOAD_MEMORY_MB: '8' } })).toThrow(/repository.load_memory_mb/);
  });

  it('merges ferry.yaml < FERRY_* < flags, and freezes the result', () => {
    const file = yamlFile('http:\n  port: 9000\n  host: 0.0.0.0\npoll_seconds: 2\nlog_level: warn\n');
    const config = loadConfig({ file, env: { FERRY_HTTP_PORT: '9100', FERRY_POLL_SECONDS: '3' }, overrides: { poll_seconds: 4 } });
    expect(config.http.port).toBe(9100);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.poll_seconds).toBe(4);
    expect(config.log_level).toBe('warn');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('reads readiness settings, with FERRY_READINESS_REQUIRE as a comma-separated list or the word all', () => {
    expect(loadConfig({ env: {}, file: yamlFile('{}') }).readiness).toEqual({ require: 'all', min_ready: 0, check_timeout_ms: 500 });
    expect(loadConfig({ env: { FERRY_READINESS_REQUIRE: 'a, b,', FERRY_READINESS_MIN_READY: '2' }, file: yamlFile('{}') }).readiness).toMatchObject({ require: ['a', 'b'], min_ready: 2 });
    expect(loadConfig({ env: { FERRY_READINESS_REQUIRE: 'all' }, file: yamlFile('readiness: {require: [x]}\n') }).readiness.require).toBe('all');
    expect(() => loadConfig({ env: {}, file: yamlFile('readiness: {require: some}\n') })).toThrow(/readiness.require/);
  });

  it('rejects invalid values with the key that is wrong', () => {
    expect(() => loadConfig({ env: { FERRY_HTTP_PORT: 'eighty' } })).toThrow(/FERRY_HTTP_PORT='eighty' is not a number/);
    expect(() => loadConfig({ env: {}, overrides: { http: { port: 70000 } } })).toThrow(/http.port/);
    expect(() => loadConfig({ env: { FERRY_HTTP_ACCEPT_SOCKETS: '0' } })).toThrow(/http.accept_sockets/);
    expect(() => loadConfig({ env: {}, file: yamlFile('htp: {port: 1}\n') })).toThrow(/invalid configuration/);
    expect(() => loadConfig({ env: {}, file: yamlFile('log_level: loud\n') })).toThrow('log_level: expected fatal | error | warn | info | debug | trace | silent (got "loud")');
    expect(() => loadConfig({ env: {}, file: yamlFile('http: {prot: 1}\n') })).toThrow('http: unknown key prot (did you mean port?); known keys: host | port |');
    expect(() => loadConfig({ env: {}, file: yamlFile(': : :\n  - [') })).toThrow(/invalid configuration/);
  });
});
