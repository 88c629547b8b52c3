import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ferryError, isFerryError } from '../errors/index.ts';
import { DataPlane, type DataPlaneOptions } from './dataplane.ts';
import { FakeGraphs, RecordedTrace, Recorders, RecordingTracer } from './test-support/recorders.ts';
import { ServedModels } from './test-support/served-models.ts';

let models: ServedModels;
let rec: Recorders;
beforeEach(async () => {
  models = await ServedModels.create();
  rec = new Recorders();
  await models.version('m', 1);
  await models.version('broken', 1, 'broken: no weights');
  await models.manager.sync();
});
afterEach(() => models.close());

const plane = (options: Partial<DataPlaneOptions> = {}) => new DataPlane(models.manager, { serverVersion: '1.2.3', observer: rec.observer, exchanges: rec.exchangeLog, ...options });

/** `code status: message` of what a call fails with, or what it returned. */
async function outcome(work: () => unknown): Promise<unknown> {
  try {
    return await work();
  } catch (error) {
    return isFerryError(error) ? `${error.code} ${error.http}: ${error.message}` : `not a FerryError: ${String(error)}`;
  }
}

describe('DataPlane.decode', () => {
  it("returns the decoder's value, inside a decode span when the request is traced", async () => {
    const dp = plane();
    expect(dp.decode('m', 'v2-rest', () => 42)).toBe(42);
    const trace = new RecordedTrace();
    expect(dp.decode('m', 'v2-rest', () => 'body', trace)).toBe('body');
    expect(trace.phases).toEqual(['decode']);
    expect(rec.events).toEqual([]);
  });

  it('answers 404 for an unknown model, version or label before the body is decoded, counted with status 404', async () => {
    const dp = plane();
    let decoded = 0;
    const decode = () => ++decoded;
    expect(await outcome(() => dp.decode('ghost', 'v2-rest', decode))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(await outcome(() => dp.decode('m', 'v2-rest', decode, undefined, { version: '9' }))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '9'");
    expect(await outcome(() => dp.decode('m', 'v2-rest', decode, undefined, { label: 'canary' }))).toBe("FERRY_ERR_LABEL_NOT_FOUND 404: model 'm' has no label 'canary'");
    expect(await outcome(() => dp.decode('bad/name', 'v2-rest', decode))).toBe(
      "FERRY_ERR_MODEL_NAME_INVALID 400: invalid model name 'bad/name': use 1-128 letters, digits, _ - . starting with a letter or digit",
    );
    expect(decoded).toBe(0);
    expect(rec.events).toEqual([
      { model: '_unknown', version: '', protocol: 'v2-rest', status: 404, seconds: 0 },
      { model: 'm', version: '', protocol: 'v2-rest', status: 404, seconds: 0 },
      { model: 'm', version: '', protocol: 'v2-rest', status: 404, seconds: 0 },
      { model: '_unknown', version: '', protocol: 'v2-rest', status: 400, seconds: 0 },
    ]);
    expect(rec.exchanges[0]).toEqual({
      model: '_unknown', version: '', protocol: 'v2-rest', request: undefined, response: undefined,
      error: { code: 'FERRY_ERR_MODEL_NOT_FOUND', status: 404, message: "model 'ghost' not found" }, startedAt: expect.any(Number), durationMs: 0,
    });
  });

  it('decodes for a model that is not ready, a graph, and a request without a model name', async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: {} }));
    expect(dp.decode('broken', 'tfserving', () => 'a')).toBe('a');
    expect(dp.decode('g', 'seldon', () => 'b', undefined, { version: '7' })).toBe('b');
    expect(dp.decode('', 'mlflow', () => 'c')).toBe('c');
  });

  it("counts a decoder's failure against the model and protocol; an error that is not a catalogue one is internal", async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: {} }));
    const refusal = ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: 'p', detail: 'no' });
    expect(await outcome(() => dp.decode('m', 'tfserving', () => {
      throw refusal;
    }))).toBe("FERRY_ERR_PARAMETER_INVALID 400: parameter 'p': no");
    expect(await outcome(() => dp.decode('g', 'seldon', () => {
      throw new SyntaxError('Unexpected token');
    }))).toBe('FERRY_ERR_INTERNAL 500: internal error: Unexpected token');
    expect(await outcome(() => dp.decode('', 'mlflow', () => {
      throw refusal;
    }))).toBe("FERRY_ERR_PARAMETER_INVALID 400: parameter 'p': no");
    expect(rec.events.map((e) => [e.model, e.protocol, e.status])).toEqual([['m', 'tfserving', 400], ['g', 'seldon', 500], ['_unknown', 'mlflow', 400]]);
    expect(rec.exchanges.map((e) => [e.model, e.error?.code])).toEqual([['m', 'FERRY_ERR_PARAMETER_INVALID'], ['g', 'FERRY_ERR_INTERNAL'], ['_unknown', 'FERRY_ERR_PARAMETER_INVALID']]);
  });

  it('counts a failure without a payload log or observer too', async () => {
    const dp = plane({ exchanges: undefined, observer: undefined });
    expect(await outcome(() => dp.decode('ghost', 'v2-rest', () => 1))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(rec.exchanges).toEqual([]);
  });
});

describe('DataPlane.decodeAsync', () => {
  it("resolves to the decoder's value, and records a decode span whether it succeeds or fails", async () => {
    const dp = plane();
    const trace = new RecordedTrace();
    expect(await dp.decodeAsync('m', 'v2-rest', async () => 'rows', trace)).toBe('rows');
    expect(await outcome(() => dp.decodeAsync('m', 'v2-rest', async () => {
      throw new Error('bad CSV');
    }, trace))).toBe('FERRY_ERR_INTERNAL 500: internal error: bad CSV');
    expect(trace.spans.map((s) => s.name)).toEqual(['decode', 'decode']);
    for (const span of trace.spans) expect(span.endMs).toBeGreaterThanOrEqual(span.startMs);
    expect(await dp.decodeAsync('m', 'v2-rest', async () => 'untraced')).toBe('untraced');
    expect(rec.events).toEqual([{ model: 'm', version: '', protocol: 'v2-rest', status: 500, seconds: 0 }]);
  });

  it('answers 404 for an unknown target without decoding, and decodes for a graph or no name', async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: {} }));
    let decoded = 0;
    expect(await outcome(() => dp.decodeAsync('ghost', 'mlflow', async () => ++decoded))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(await outcome(() => dp.decodeAsync('m', 'mlflow', async () => ++decoded, undefined, { version: '2' }))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '2'");
    expect(decoded).toBe(0);
    expect(await dp.decodeAsync('g', 'mlflow', async () => 'g')).toBe('g');
    expect(await dp.decodeAsync('', 'mlflow', async () => 'none')).toBe('none');
    expect(rec.events.map((e) => [e.model, e.status])).toEqual([['_unknown', 404], ['m', 404]]);
  });
});

describe('DataPlane.refuseIfSaturated', () => {
  it('passes while the queue takes requests, and throws its refusal counted as failed for the version', async () => {
    const dp = plane();
    expect(dp.refuseIfSaturated('m', {}, 'v2-rest')).toBeUndefined();
    const full = ferryError('FERRY_ERR_QUEUE_FULL', { model: 'm', limit: 4 });
    models.refusals.set('m', full);
    let thrown: unknown;
    try {
      dp.refuseIfSaturated('m', {}, 'v2-grpc');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(full);
    expect(rec.events).toEqual([{ model: 'm', version: '1', protocol: 'v2-grpc', status: 429, seconds: expect.any(Number) }]);
    expect(dp.statistics('m', '1')[0]!.inference_stats.fail.count).toBe(1);
  });

  it('answers 404 for an unknown target, and leaves a model that is not ready and a graph to infer()', async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ g: {} }));
    expect(await outcome(() => dp.refuseIfSaturated('ghost', {}, 'v2-rest'))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(await outcome(() => dp.refuseIfSaturated('m', { label: 'x' }, 'v2-rest'))).toBe("FERRY_ERR_LABEL_NOT_FOUND 404: model 'm' has no label 'x'");
    expect(rec.events.map((e) => [e.model, e.status])).toEqual([['_unknown', 404], ['m', 404]]);
    expect(dp.refuseIfSaturated('broken', {}, 'v2-rest')).toBeUndefined();
    expect(dp.refuseIfSaturated('g', { version: '3' }, 'v2-rest')).toBeUndefined();
    expect(rec.events).toHaveLength(2);
  });

  it("leaves a graph to infer() even when a model has its name: the graph's queue is its nodes'", async () => {
    const dp = plane();
    dp.setGraphs(new FakeGraphs({ m: {} }));
    models.refusals.set('m', ferryError('FERRY_ERR_QUEUE_FULL', { model: 'm', limit: 4 }));
    expect(dp.refuseIfSaturated('m', {}, 'v2-rest')).toBeUndefined();
    expect(rec.events).toEqual([]);
  });
});

describe('DataPlane tracing', () => {
  it('starts no trace and keeps none without a tracer', () => {
    const dp = plane();
    const carrier = {};
    expect(dp.startTrace('infer', 'v2-rest', '00-abc', 'k=v')).toBeUndefined();
    dp.attachTrace(carrier, new RecordedTrace());
    expect(dp.traceOf(carrier)).toBeUndefined();
  });

  it('starts traces with the headers that are strings, and keeps one with its request', () => {
    const tracer = new RecordingTracer();
    const dp = plane({ tracer });
    const trace = dp.startTrace('infer', 'v2-rest', '00-abc', 'k=v', 12.5)!;
    expect(trace).toBeInstanceOf(RecordedTrace);
    dp.startTrace('infer', 'v2-grpc', ['00-abc'], 7);
    expect(tracer.started).toEqual([['infer', 'v2-rest', '00-abc', 'k=v', 12.5], ['infer', 'v2-grpc', undefined, undefined, undefined]]);
    const carrier = {};
    dp.attachTrace(carrier, trace);
    expect(dp.traceOf(carrier)).toBe(trace);
    expect(dp.traceOf({})).toBeUndefined();
  });

  it("runs an encoder inside an encode span when traced, and records an async encoder's span even when it fails", async () => {
    const dp = plane();
    const trace = new RecordedTrace();
    expect(dp.encode(undefined, () => 'plain')).toBe('plain');
    expect(dp.encode(trace, () => 'traced')).toBe('traced');
    expect(trace.phases).toEqual(['encode']);
    expect(await dp.encodeAsync(trace, async () => 'async')).toBe('async');
    await expect(dp.encodeAsync(trace, async () => {
      throw new Error('socket closed');
    })).rejects.toThrow('socket closed');
    expect(await dp.encodeAsync(undefined, async () => 'untraced')).toBe('untraced');
    expect(trace.spans.map((s) => s.name)).toEqual(['encode', 'encode']);
    for (const span of trace.spans) expect(span.endMs).toBeGreaterThanOrEqual(span.startMs);
  });
});
