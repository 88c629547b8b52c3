import { ferryError, type FerryError } from '../../errors/index.ts';

/** A parsed JSON value that is an object (not null, not an array): every adapter checks bodies with this. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The catalogue error for a request whose structure is wrong for its protocol. */
export function invalidRequest(detail: string): FerryError {
  return ferryError('FERRY_ERR_INVALID_REQUEST', { detail });
}
