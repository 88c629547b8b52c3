import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { encodeJsonData, type Tensor } from '../../tensor/index.ts';
import type { InferExchange } from './exchange.ts';

export const REQUEST_EVENT_TYPE = 'io.ferry.inference.request';
export const RESPONSE_EVENT_TYPE = 'io.ferry.inference.response';

export interface EventSettings {
  /** CloudEvents `source`: which server produced the event. */
  readonly source: string;
  /** Input and output names whose values are left out (shape and datatype stay). */
  readonly redact: ReadonlySet<string>;
}

/** A tensor as logged: V2 JSON (`name`, `datatype`, `shape`, `data`), or without `data` and `redacted: true`. */
function tensorJson(tensor: Tensor, redact: ReadonlySet<string>): Record<string, unknown> {
  const base = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
  return redact.has(tensor.name) ? { ...base, redacted: true } : { ...base, data: encodeJsonData(tensor.datatype, tensor.data) };
}

/**
 * The request and response of one exchange as two CloudEvents (KServe's and Seldon's payload loggers send the same
 * pair): data is V2 JSON, the pair shares `ferryrequestid`, and `subject` is the model. A failure is a response
 * event whose data is `{error, code}` and whose `ferrystatus` is the HTTP-style status; a request that could not
 * be decoded has no request event.
 */
export function exchangeEvents(exchange: InferExchange, settings: EventSettings): CloudEvent<Record<string, unknown>>[] {
  const requestId = exchange.request?.id ?? randomUUID();
  const common = {
    source: settings.source,
    subject: exchange.model,
    datacontenttype: 'application/json',
    ferrymodel: exchange.model,
    ferryversion: exchange.version,
    ferryprotocol: exchange.protocol,
    ferryrequestid: requestId,
    ...(exchange.traceparent ? { traceparent: exchange.traceparent } : {}),
  };
  const events: CloudEvent<Record<string, unknown>>[] = [];
  const { request, response, error } = exchange;
  if (request) {
    events.push(new CloudEvent({
      ...common,
      id: randomUUID(),
      type: REQUEST_EVENT_TYPE,
      time: new Date(exchange.startedAt).toISOString(),
      data: {
        ...(request.id !== undefined ? { id: request.id } : {}),
        ...(request.parameters ? { parameters: request.parameters } : {}),
        inputs: request.inputs.map((t) => tensorJson(t, settings.redact)),
        ...(request.outputs ? { outputs: request.outputs } : {}),
      },
    }, false));
  }
  const status = error ? error.status : 200;
  const data = response
    ? {
      model_name: response.modelName,
      model_version: response.modelVersion,
      ...(response.id !== undefined ? { id: response.id } : {}),
      ...(response.parameters ? { parameters: response.parameters } : {}),
      outputs: response.outputs.map((t) => tensorJson(t, settings.redact)),
    }
    : { error: error?.message ?? 'no response', code: error?.code ?? 'FERRY_ERR_INTERNAL' };
  events.push(new CloudEvent({
    ...common,
    id: randomUUID(),
    type: RESPONSE_EVENT_TYPE,
    time: new Date(exchange.startedAt + exchange.durationMs).toISOString(),
    ferrystatus: status,
    ferrydurationus: Math.round(exchange.durationMs * 1000),
    data,
  }, false));
  return events;
}
