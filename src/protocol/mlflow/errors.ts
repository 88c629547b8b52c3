import type { FerryError } from '../../errors/index.ts';

/** MLflow's databricks error codes for the HTTP statuses Ferry's catalogue uses. */
const CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  413: 'BAD_REQUEST',
  415: 'BAD_REQUEST',
  429: 'REQUEST_LIMIT_EXCEEDED',
  499: 'CANCELLED',
  500: 'INTERNAL_ERROR',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** MLflow's error body (MlflowException.serialize_as_json): `{"error_code": ..., "message": ...}`. */
export function mlflowError(error: FerryError): { error_code: string; message: string } {
  const code = error.code === 'FERRY_ERR_PARAMETER_INVALID' ? 'INVALID_PARAMETER_VALUE'
    : error.code === 'FERRY_ERR_ROUTE_NOT_FOUND' ? 'ENDPOINT_NOT_FOUND'
      : CODES[error.http] ?? (error.http >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
  return { error_code: code, message: error.message };
}

/** The error body as MLflow's json.dumps writes it (', ' and ': ' separators). */
export function mlflowErrorText(error: FerryError): string {
  const { error_code, message } = mlflowError(error);
  return `{"error_code": ${JSON.stringify(error_code)}, "message": ${JSON.stringify(message)}}`;
}
