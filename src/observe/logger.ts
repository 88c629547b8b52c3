import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTION, redactSecrets } from '../errors/index.ts';

export type { Logger };

/** Fields that hold a credential whatever their value looks like. */
const SECRET_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'req.headers.cookie', '*.headers.cookie',
  'metadata.authorization', 'token', '*.token', 'auth.token', 'config.auth.token', 'password', '*.password',
];

/**
 * Ferry's logger. Credentials never reach a log line: fields that hold one are redacted by name, and every string
 * logged (messages, values, error messages and stacks) has URL passwords and bearer tokens masked.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'ferry' },
    redact: { paths: SECRET_PATHS, censor: REDACTION },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => scrub(arg, 0)));
      },
    },
  };
  // Standard output written synchronously: pino's default (asynchronous) stream flushes at process exit with a loop
  // that retries a failed write forever when the reader is gone (EPIPE: the parent that read the logs died), so a
  // server told to stop hung in exit and ignored every later signal. A synchronous write that fails stops logging
  // (pino drops a broken pipe) and the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/** `value` with its strings passed through redactSecrets (objects copied, not changed in place). */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null || depth > 6) return value;
  if (value instanceof Error) {
    // A copy of the same class, so that the error serializer still names its type.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    for (const [key, field] of Object.entries(value)) copy[key] = scrub(field, depth + 1);
    Object.defineProperty(copy, 'message', { value: redactSecrets(value.message), enumerable: false, writable: true });
    Object.defineProperty(copy, 'stack', { value: redactSecrets(value.stack ?? ''), enumerable: false, writable: true });
    if ('cause' in value) Object.defineProperty(copy, 'cause', { value: scrub(value.cause, depth + 1), enumerable: false, writable: true });
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = scrub(field, depth + 1);
  return copy;
}
