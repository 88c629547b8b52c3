import type { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import type { InferExchange } from './exchange.ts';
import { REQUEST_EVENT_TYPE, RESPONSE_EVENT_TYPE } from './events.ts';
import { PayloadLogger } from './payload-logger.ts';
import type { PayloadSink } from './sink.ts';

function memorySink() {
  const events: CloudEvent<Record<string, unknown>>[] = [];
  const sink: PayloadSink = { name: 'memory', send: async (batch) => void events.push(...(batch as CloudEvent<Record<string, unknown>>[])), close: async () => {} };
  return { sink, events };
}

const exchange = (model: string, overrides: Partial<InferExchange> = {}): InferExchange => ({
  model, version: '2', protocol: 'v2-rest', startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678), durationMs: 1.5,
  request: { id: 'req-1', inputs: [
    { name: 'ssn', datatype: 'BYTES', shape: [1], data: [new TextEncoder().encode('123-45-6789')] },
    { name: 'amount', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(10.5, -2) },
  ] },
  response: { modelName: model, modelVersion: '2', id: 'req-1', outputs: [{ name: 'score', datatype: 'FP64', shape: [1], data: Float64Array.of(0.25) }] },
  error: undefined,
  ...overrides,
});

const logger = (options: Partial<ConstructorParameters<typeof PayloadLogger>[0]> = {}) => {
  const memory = memorySink();
  const log = new PayloadLogger({
    source: '/ferry/test', sinks: [memory.sink], delivery: { maxBuffer: 1000, maxBatch: 100, maxAttempts: 1, retryDelayMs: 0 },
    defaults: { sampleRate: 1, redact: [] }, ...options,
  });
  return { log, events: memory.events };
};

describe('PayloadLogger', () => {
  it('turns an exchange into a request and a response CloudEvent sharing the request id, after the caller returns', async () => {
    const { log, events } = logger();
    log.log(exchange('fraud'));
    expect(events).toHaveLength(0); // nothing is built on the request path
    await log.close();
    expect(events.map((e) => e.type)).toEqual([REQUEST_EVENT_TYPE, RESPONSE_EVENT_TYPE]);
    const [request, response] = events as [CloudEvent<Record<string, unknown>>, CloudEvent<Record<string, unknown>>];
    expect(request.validate()).toBe(true);
    expect(response.validate()).toBe(true);
    expect(request).toMatchObject({ source: '/ferry/test', subject: 'fraud', ferrymodel: 'fraud', ferryversion: '2', ferryprotocol: 'v2-rest', ferryrequestid: 'req-1', time: '2026-01-02T03:04:05.678Z' });
    expect(request.id).not.toBe(response.id);
    expect(request.data).toEqual({ id: 'req-1', inputs: [
      { name: 'ssn', datatype: 'BYTES', shape: [1], data: ['123-45-6789'] },
      { name: 'amount', datatype: 'FP32', shape: [1, 2], data: [10.5, -2] },
    ] });
    expect(response).toMatchObject({ ferrystatus: 200, ferrydurationus: 1500, ferryrequestid: 'req-1', time: '2026-01-02T03:04:05.679Z' });
    expect(response.data).toEqual({ model_name: 'fraud', model_version: '2', id: 'req-1', outputs: [{ name: 'score', datatype: 'FP64', shape: [1], data: [0.25] }] });
  });

  it('redacts named inputs and outputs (globally and per model), keeping their name, datatype and shape', async () => {
    const { log, events } = logger({ defaults: { sampleRate: 1, redact: ['ssn'] }, models: { fraud: { redact: ['score'] } } });
    log.log(exchange('fraud'));
    log.log(exchange('other'));
    await log.close();
    const [fraudRequest, fraudResponse, otherRequest, otherResponse] = events.map((e) => e.data as Record<string, any>);
    expect(fraudRequest!['inputs'][0]).toEqual({ name: 'ssn', datatype: 'BYTES', shape: [1], redacted: true });
    expect(fraudRequest!['inputs'][1].data).toEqual([10.5, -2]);
    expect(fraudResponse!['outputs'][0]).toEqual({ name: 'score', datatype: 'FP64', shape: [1], redacted: true });
    expect(otherRequest!['inputs'][0]).toEqual({ name: 'ssn', datatype: 'BYTES', shape: [1], redacted: true });
    expect(otherResponse!['outputs'][0].data).toEqual([0.25]);
    expect(JSON.stringify(events)).not.toContain('123-45-6789');
  });

  it('samples per model: rate 0 logs nothing, 1 everything, 0.25 the draws under it', async () => {
    const draws = [0.1, 0.3, 0.2, 0.9];
    let i = 0;
    const { log, events } = logger({ defaults: { sampleRate: 0.25, redact: [] }, models: { never: { sampleRate: 0 }, always: { sampleRate: 1 } }, random: () => draws[i++ % draws.length]! });
    for (let n = 0; n < 4; n++) log.log(exchange('sampled', { request: { id: `r${n}`, inputs: [] } }));
    log.log(exchange('never'));
    log.log(exchange('always'));
    await log.close();
    const requests = events.filter((e) => e.type === REQUEST_EVENT_TYPE);
    expect(requests.map((e) => `${e['ferrymodel']}:${e['ferryrequestid']}`)).toEqual(['sampled:r0', 'sampled:r2', 'always:req-1']);
  });

  it('logs a failure as a response event with the error and its status; an undecodable request has no request event', async () => {
    const { log, events } = logger();
    log.log(exchange('fraud', { response: undefined, error: { code: 'FERRY_ERR_SHAPE_MISMATCH', status: 400, message: "input 'amount' has shape [1,2], model expects [1,3]" } }));
    log.log(exchange('fraud', { request: undefined, response: undefined, version: '', error: { code: 'FERRY_ERR_MALFORMED_BODY', status: 400, message: 'malformed request body: x' } }));
    await log.close();
    expect(events.map((e) => e.type)).toEqual([REQUEST_EVENT_TYPE, RESPONSE_EVENT_TYPE, RESPONSE_EVENT_TYPE]);
    expect(events[1]).toMatchObject({ ferrystatus: 400, data: { code: 'FERRY_ERR_SHAPE_MISMATCH', error: "input 'amount' has shape [1,2], model expects [1,3]" } });
    expect(events[2]).toMatchObject({ ferrystatus: 400, ferryversion: '', data: { code: 'FERRY_ERR_MALFORMED_BODY' } });
  });

  it('does not build events while every sink buffer is full, and counts them as dropped', async () => {
    let release: () => void = () => undefined;
    const stuck: PayloadSink = { name: 'stuck', send: () => new Promise<void>((resolve) => (release = resolve)), close: async () => {} };
    const counts: Record<string, number> = {};
    const log = new PayloadLogger({
      source: '/s', sinks: [stuck], defaults: { sampleRate: 1, redact: [] },
      delivery: { maxBuffer: 2, maxBatch: 1, maxAttempts: 1, retryDelayMs: 0, onOutcome: (_s, outcome, n) => (counts[outcome] = (counts[outcome] ?? 0) + n) },
    });
    let built = 0;
    const counting = (model: string) => {
      const base = exchange(model);
      return { ...base, get request() { built++; return base.request; } };
    };
    log.log(counting('m')); // 2 events: one goes to the (stuck) send, one waits in the buffer
    await new Promise((r) => setImmediate(r));
    log.log(counting('m')); // fills the buffer's second slot, its second event is dropped
    await new Promise((r) => setImmediate(r));
    const builtBefore = built;
    for (let i = 0; i < 5; i++) log.log(counting('m'));
    await new Promise((r) => setImmediate(r));
    expect(counts['dropped']).toBe(1 + 10);
    expect(built - builtBefore).toBe(5); // each looked at once (to count its events), none turned into events
    release();
    await log.close();
  });

  it('bounds the exchanges waiting to become events: beyond max_buffer they are dropped and counted per sink', async () => {
    const memory = memorySink();
    const dropped: number[] = [];
    const log = new PayloadLogger({
      source: '/s', sinks: [memory.sink], defaults: { sampleRate: 1, redact: [] },
      delivery: { maxBuffer: 3, maxBatch: 100, maxAttempts: 1, retryDelayMs: 0, onOutcome: (_s, outcome, n) => outcome === 'dropped' && dropped.push(n) },
    });
    for (let n = 0; n < 5; n++) log.log(exchange('m'));
    expect(dropped).toEqual([2, 2]); // two exchanges past the bound, two events each
    await log.close();
  });
});
