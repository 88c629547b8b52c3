import { Metadata, ServerInterceptingCall, ServerListenerBuilder, ResponderBuilder, type ServerInterceptor } from '@grpc/grpc-js';
import type { FerryError } from '../../errors/index.ts';
import type { InflightBudget } from '../transport/inflight-budget.ts';
import { toGrpcStatus } from './status.ts';

/**
 * Counts gRPC request messages against the in-flight budget the HTTP server shares. A call that arrives while the
 * budget is full is refused (UNAVAILABLE, with a `retry-after` trailer) on its headers, before its message is
 * read. A unary call's message holds its bytes until the call ends; a stream's messages are each refused while
 * the budget is full, as how long a stream keeps one is not known here.
 */
export function inflightInterceptor(budget: InflightBudget): ServerInterceptor {
  return (method, call) => {
    const lease = budget.lease();
    let refused = false;
    const refuse = (failure: FerryError) => {
      refused = true;
      lease.end();
      const status = toGrpcStatus(failure);
      (status.metadata ?? new Metadata()).set('retry-after', String(failure.params['retry_after_s'] ?? 1));
      call.sendStatus(status);
    };
    return new ServerInterceptingCall(call, new ResponderBuilder()
      .withStart((next) => {
        next(new ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, nextMetadata) => {
            if (budget.full()) refuse(budget.busy(undefined));
            else nextMetadata(metadata);
          })
          .withOnReceiveMessage((message: unknown, nextMessage) => {
            if (refused) return;
            const size = Buffer.isBuffer(message) ? message.length : 0;
            const fits = method.requestStream ? !budget.full() : lease.take(size);
            if (fits) nextMessage(message);
            else refuse(budget.busy(size));
          })
          .withOnCancel(() => lease.end())
          .build());
      })
      .withSendStatus((status, next) => {
        lease.end();
        next(status);
      })
      .build());
  };
}
