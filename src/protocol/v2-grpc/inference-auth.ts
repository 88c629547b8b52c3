import type { ServerDuplexStream, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { asGuardedRequest } from './call-context.ts';
import { toGrpcStatus } from './status.ts';

/** Health methods stay open when inference needs a token: a probe carries none. */
const OPEN_METHODS = new Set(['ServerLive', 'ServerReady', 'ModelReady']);

type Guard = (request: ReturnType<typeof asGuardedRequest>) => void;

/**
 * Wraps every method of a service but the health ones so that a call without a token carrying the `infer` scope
 * ends with UNAUTHENTICATED (or PERMISSION_DENIED) before its message is decoded.
 */
export function guardInference(service: UntypedServiceImplementation, authorize: Guard): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(service)) {
    guarded[name] = OPEN_METHODS.has(name) ? handler : guardOne(handler, authorize);
  }
  return guarded;
}

function guardOne(handler: UntypedHandleCall, authorize: Guard): UntypedHandleCall {
  return ((call: ServerDuplexStream<Buffer, Buffer>, callback?: (error: unknown) => void) => {
    try {
      authorize(asGuardedRequest(call));
    } catch (error) {
      if (callback) callback(toGrpcStatus(error));
      else call.emit('error', toGrpcStatus(error));
      return;
    }
    (handler as (call: unknown, callback?: unknown) => void)(call, callback);
  }) as UntypedHandleCall;
}
