import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;

export interface MethodShape {
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
}

/**
 * A grpc-js service definition whose methods pass message bytes through untouched: Ferry decodes and encodes in
 * its handlers, where a bad or over-size message can still become a catalogue error with the right status.
 */
export function bytesService(fullName: string, methods: Readonly<Record<string, MethodShape>>): ServiceDefinition {
  const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
  for (const [name, shape] of Object.entries(methods)) {
    definition[name] = {
      path: `/${fullName}/${name}`,
      requestStream: shape.requestStream ?? false,
      responseStream: shape.responseStream ?? false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return definition;
}
