import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { MessageName } from './schema.ts';
import { toGrpcStatus } from './status.ts';

export type UnaryCall = ServerUnaryCall<Buffer, Buffer>;
export type UnaryHandler = (call: UnaryCall, callback: sendUnaryData<Buffer>) => void;

/** Wraps a typed handler as a bytes-in, bytes-out grpc-js unary handler; every failure becomes a catalogue status. */
export function unary<Request>(
  requestType: MessageName,
  responseType: MessageName,
  limit: number,
  handle: (request: Request, call: UnaryCall) => object | Promise<object>,
  onError?: (error: unknown, request: Request | undefined) => void,
): UnaryHandler {
  return (call, callback) => {
    let request: Request | undefined;
    const fail = (error: unknown) => {
      onError?.(error, request);
      callback(toGrpcStatus(error));
    };
    const reply = (response: object) => {
      try {
        callback(null, encodeMessage(responseType, response, limit));
      } catch (error) {
        fail(error);
      }
    };
    try {
      request = decodeMessage<Request>(requestType, call.request, limit);
      const result = handle(request, call);
      if (result instanceof Promise) result.then(reply, fail);
      else reply(result);
    } catch (error) {
      fail(error);
    }
  };
}
