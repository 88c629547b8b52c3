import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';

/** The part of Ferry's logger grpc-js's messages go to. */
export interface GrpcLogSink {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/**
 * A failed bind is also rejected to the caller, which reports it naming the address and the setting: grpc-js's
 * own line about it would say the same thing again, in other words.
 */
const REPORTED_BY_CALLER = /^No address added out of total \d+ resolved/;

/**
 * Sends grpc-js's log messages (written with console.error by default, so not JSON) to `sink`, one JSON line each.
 * grpc-js has one logger per process, so this is for the process's owner (the CLI), not for a library caller.
 */
export function routeGrpcLogs(sink: GrpcLogSink): void {
  const fields = { component: 'grpc' };
  setLogger({
    error: (message: unknown, ...rest: unknown[]) => {
      const text = format(message, ...rest);
      if (REPORTED_BY_CALLER.test(text)) sink.debug(fields, text);
      else sink.warn(fields, text);
    },
    info: (message: unknown, ...rest: unknown[]) => sink.debug(fields, format(message, ...rest)),
    debug: (message: unknown, ...rest: unknown[]) => sink.debug(fields, format(message, ...rest)),
  });
}
