import type protobuf from 'protobufjs';
import { ferryError } from '../../errors/index.ts';
import { TYPES, type MessageName } from './schema.ts';

/** Names the setting in every over-size error, so the client knows what to change. */
export const MESSAGE_LIMIT_SETTING = 'grpc.max_message_bytes / FERRY_GRPC_MAX_MESSAGE_BYTES';

/**
 * Decodes a received message. grpc-js hands Ferry the bytes undecoded so that over-size and malformed messages
 * become catalogue errors (RESOURCE_EXHAUSTED naming the setting, INVALID_ARGUMENT) instead of grpc-js's own
 * INTERNAL "Error deserializing request".
 */
export function decodeMessage<T>(name: MessageName, bytes: Buffer, limit: number): T {
  return decodeAs<T>(TYPES[name], bytes, limit);
}

/** Encodes a message to send, refusing one larger than the limit with an error that names the setting. */
export function encodeMessage(name: MessageName, message: object, limit: number): Buffer {
  return encodeAs(TYPES[name], message, limit);
}

/** decodeMessage for a message type of any service Ferry serves on its gRPC port. */
export function decodeAs<T>(type: protobuf.Type, bytes: Buffer, limit: number): T {
  if (bytes.length > limit) throw tooLarge(bytes.length, limit);
  try {
    return type.decode(bytes) as unknown as T;
  } catch (error) {
    throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: `not a valid ${type.name} protobuf message: ${(error as Error).message}` });
  }
}

/** encodeMessage for a message type of any service Ferry serves on its gRPC port. */
export function encodeAs(type: protobuf.Type, message: object, limit: number): Buffer {
  const bytes = type.encode(message).finish() as Buffer;
  if (bytes.length > limit) throw ferryError('FERRY_ERR_RESPONSE_TOO_LARGE', { size: bytes.length, limit, setting: MESSAGE_LIMIT_SETTING });
  return bytes;
}

export function tooLarge(size: number, limit: number) {
  return ferryError('FERRY_ERR_BODY_TOO_LARGE', { size, limit, setting: MESSAGE_LIMIT_SETTING });
}
