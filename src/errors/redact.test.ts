import { describe, expect, it } from 'vitest';
import { ferryError } from './ferry-error.ts';
import { redactSecrets } from './redact.ts';

describe('secret redaction', () => {
  it('hides the password of a URL and a bearer token, keeping the rest', () => {
    expect(redactSecrets('redis://:pw@cache:6379')).toBe('redis://:[redacted]@cache:6379');
    expect(redactSecrets('see postgres://ferry:p%40ss@db:5432/ferry?ssl=1 now')).toBe('see postgres://ferry:[redacted]@db:5432/ferry?ssl=1 now');
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.J9-x_y')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/key')).toBe('s3://AKIAEXAMPLE:[redacted]@bucket/key');
    // Any run of blanks after the scheme word, as headers are sometimes written.
    expect(redactSecrets('authorization: bearer \t abcdefgh12')).toBe('authorization: bearer \t [redacted]');
  });

  it('leaves text without credentials alone', () => {
    for (const text of ['http://127.0.0.1:8080/v2', 'redis://cache:6379', 'user@example.com', 'ratio 3:4 at 10:30', 'a bearer of news']) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it('leaves client errors (4xx) as they are: their text is the request\'s own, echoed to its sender', () => {
    expect(ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'redis://:pw@cache:6379' }).message).toBe('malformed request body: redis://:pw@cache:6379');
  });

  it('is applied to server-side errors, whose messages carry what a dependency said', () => {
    expect(ferryError('FERRY_ERR_CONFIG_INVALID', { detail: 'cache.url redis://:pw@cache:6379 is unreachable' }).message).toBe('invalid configuration: cache.url redis://:[redacted]@cache:6379 is unreachable');
    expect(ferryError('FERRY_ERR_INTERNAL', { detail: 'Bearer abcdef0123' }).message).toBe('internal error: Bearer [redacted]');
  });
});
