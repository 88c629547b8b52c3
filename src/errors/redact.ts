/**
 * Secrets that text may carry when it comes from configuration or a dependency: the password of a URL
 * (`redis://user:password@host`) and bearer tokens. Errors and logs pass their text through this before anyone
 * reads it.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const REDACTED = '[redacted]';

export function redactSecrets(text: string): string {
  if (!text.includes('@') && !/bearer/i.test(text)) return text;
  return text.replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(BEARER, `$1${REDACTED}`);
}

export const REDACTION = REDACTED;
