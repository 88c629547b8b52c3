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
  const offThread = decodeLarge === undefined
    ? undefined
    : (bytes: Buffer) => (bytes.length <= limit && decodesOffThread(bytes.length) ? decodeLarge(bytes) : undefined);
  return unaryWith((bytes) => decodeMessage<Request>(requestType, bytes, limit), (response) => encodeMessage(responseType, response, limit), handle, offThread);
}

/**
 * unary() with the request's decoder and the response's encoder given: for the messages of any service. A handler
 * that answers a Buffer has encoded its response itself.
 */
export function unaryWith<Request>(
  decode: (bytes: Buffer) => Request,
  encode: (response: object) => Buffer,
  handle: (request: Request, call: UnaryCall, signal: AbortSignal) => object | Promise<object>,
  /** The request decoded elsewhere (a large one, on a decode thread), or undefined for `decode` to decode it here. */
  decodeElsewhere?: (bytes: Buffer) => Promise<Request> | undefined,
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
        const bytes = Buffer.isBuffer(response) ? response : encode(response); // a handler may answer encoded bytes
        answered = true;
        callback(null, bytes);
      } catch (error) {
        fail(error);
      }
    };
    try {
      const elsewhere = decodeElsewhere?.(call.request);
      if (elsewhere !== undefined) {
        elsewhere.then((request) => handle(request, call, controller.signal)).then(reply, fail);
        return;
      }
      const request = decode(call.request);
      const result = handle(request, call, controller.signal);
      if (result instanceof Promise) result.then(reply, fail);
      else reply(result);
    } catch (error) {
      fail(error);
    }
  };
}
