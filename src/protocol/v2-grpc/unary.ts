import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from './codec.ts';
import type { MessageName } from './schema.ts';
import { toGrpcStatus } from './status.ts';
import { decodesOffThread } from '../offload/decode-pool.ts';

export type UnaryCall = ServerUnaryCall<Buffer, Buffer>;
export type UnaryHandler = (call: UnaryCall, callback: sendUnaryData<Buffer>) => void;

/** Wraps a typed handler as a bytes-in, bytes-out grpc-js unary handler; every failure becomes a catalogue status. */
export function unary<Request>(
  requestType: MessageName,
  responseType: MessageName,
  limit: number,
  handle: (request: Request, call: UnaryCall, signal: AbortSignal) => object | Promise<object>,
  /** Decodes a message of DECODE_THREAD_MIN_BYTES or more instead of decodeMessage (on a decode thread). */
  decodeLarge?: (bytes: Buffer) => Promise<Request>,
): UnaryHandler {
  return (call, callback) => {
    // grpc-js reports every finished call as 'cancelled'; only a cancel before the answer aborts the work.
    let answered = false;
    const controller = new AbortController();
    call.once('cancelled', () => {
      if (!answered) controller.abort();
    });
    const fail = (error: unknown) => {
      answered = true;
      callback(toGrpcStatus(error));
    };
    const reply = (response: object) => {
      try {
        const bytes = encodeMessage(responseType, response, limit);
        answered = true;
        callback(null, bytes);
      } catch (error) {
        fail(error);
      }
    };
    try {
      if (decodeLarge !== undefined && call.request.length <= limit && decodesOffThread(call.request.length)) {
        decodeLarge(call.request).then((request) => handle(request, call, controller.signal)).then(reply, fail);
        return;
      }
      const request = decodeMessage<Request>(requestType, call.request, limit);
      const result = handle(request, call, controller.signal);
      if (result instanceof Promise) result.then(reply, fail);
      else reply(result);
    } catch (error) {
      fail(error);
    }
  };
}
