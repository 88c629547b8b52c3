import { ferryError, type FerryError } from '../../errors/index.ts';

/** A row that the document declares invalid (returnInvalid) or that a function cannot evaluate. */
export function rowError(row: number, detail: string): FerryError {
  return ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `row ${row}: ${detail}` });
}
