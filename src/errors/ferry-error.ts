import { ERRORS, type ErrorCode, type GrpcStatusName } from './catalogue.ts';
import { redactSecrets } from './redact.ts';

export type ErrorParams = Readonly<Record<string, string | number>>;

/** The one error type that crosses layers. Build it with `ferryError(code, params)`. */
export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly http: number;
  readonly grpc: GrpcStatusName;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: ErrorOptions) {
    const definition = ERRORS[code];
    // A client error (4xx) is an answer, not a fault: skip the stack trace, which costs more than the rest of a
    // refusal (429s under overload are built by the thousand).
    const stackTraceLimit = Error.stackTraceLimit;
    if (definition.http < 500) Error.stackTraceLimit = 0;
    // A server-side error carries what configuration or a dependency said, which may hold a password or a token.
    const message = renderMessage(definition.message, params);
    super(definition.http >= 500 ? redactSecrets(message) : message, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'FerryError';
    this.code = code;
    this.http = definition.http;
    this.grpc = definition.grpc;
    this.params = params;
  }
}

export function ferryError(code: ErrorCode, params: ErrorParams = {}, cause?: unknown): FerryError {
  return new FerryError(code, params, cause === undefined ? undefined : { cause });
}

export function isFerryError(value: unknown): value is FerryError {
  return value instanceof FerryError;
}

/** Any thrown value as a FerryError: unknown errors become FERRY_ERR_INTERNAL. */
export function asFerryError(value: unknown): FerryError {
  if (value instanceof FerryError) return value;
  const detail = value instanceof Error ? value.message : String(value);
  return new FerryError('FERRY_ERR_INTERNAL', { detail }, { cause: value });
}

function renderMessage(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}
