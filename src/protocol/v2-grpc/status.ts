import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { asFerryError, type FerryError, type GrpcStatusName } from '../../errors/index.ts';

const CODES: Record<GrpcStatusName, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  INTERNAL: status.INTERNAL,
  CANCELLED: status.CANCELLED,
};

/** The trailer that names the catalogue code, so clients can branch on it without parsing the message. */
export const ERROR_CODE_TRAILER = 'ferry-error-code';

export function grpcCode(error: FerryError): status {
  return CODES[error.grpc];
}

/** Any thrown value as the gRPC status a client sees: the catalogue's code, message and FERRY_ERR_* trailer. */
export function toGrpcStatus(error: unknown): StatusObject {
  const failure = asFerryError(error);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, failure.code);
  return { code: grpcCode(failure), details: failure.message, metadata };
}
