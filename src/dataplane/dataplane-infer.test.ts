import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ferryError, isFerryError } from '../errors/index.ts';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { DataPlane, type DataPlaneOptions } from './dataplane.ts';
import { FakeGraphs, RecordedTrace, Recorders } from './test-support/recorders.ts';
import { rowSums, ServedModels } from './test-support/served-models.ts';
import type { InferContext } from './views.ts';

let models: ServedModels;
let rec: Recorders;
beforeEach(async () => {
  models = await ServedModels.create();
  rec = new Recorders();
});
afterEach(async () => {
  vi.useRealTimers();
  await models.close();
});

const plane = (options: Partial<DataPlaneOptions> = {}) => new DataPlane(models.manager, { serverVersion: '1.2.3', observer: rec.observer, exchanges: rec.exchangeLog, ...options });
const x = (...rows: [number, number][]): Tensor => ({ name: 'x', datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) });
const floats = (name: string, ...values: number[]): Tensor => ({ name, datatype: 'FP32', shape: [values.length], data: Float32Array.from(values) });
const rest: InferContext = { protocol: 'v2-rest' };

/** `code status: message` of what a call fails with, or 'answered'. */
async function failure(work: () => unknown): Promise<string> {
  try {
    await work();
  } catch (error) {
    return isFerryError(error) ? `${error.code} ${error.http}: ${error.message}` : `not a FerryError: ${String(error)}`;
  }
  return 'answered';
}

async function oneModel(behaviour: Parameters<ServedModels['behaviours']['set']>[1] = {}): Promise<void> {
  models.behaviours.set('m', behaviour);
  await models.version('m', 1);
  await models.manager.sync();
}
const stats = (dp: DataPlane) => dp.statistics('m', '1')[0]!;

describe('DataPlane.infer on a model', () => {
  it('answers with the outputs the request names, in its order, with its id, and counts the rows', async () => {
    await oneModel();
    const dp = plane();
    const request: InferRequest = { id: 'r-1', inputs: [x([1, 2], [3, 4])], outputs: [{ name: 'first' }, { name: 'sum' }] };
    const response = await dp.infer('m', request, rest);
    expect(response).toEqual({ modelName: 'm', modelVersion: '1', id: 'r-1', outputs: [floats('first', 1, 3), floats('sum', 3, 7)] });
    expect(Object.keys(response)).toEqual(['modelName', 'modelVersion', 'id', 'outputs']);
    expect(rec.events).toEqual([{ model: 'm', version: '1', protocol: 'v2-rest', status: 200, seconds: expect.any(Number) }]);
    expect(rec.events[0]!.seconds).toBeGreaterThanOrEqual(0);
    const s = stats(dp);
    expect([s.inference_count, s.execution_count, s.inference_stats.success.count, s.inference_stats.fail.count]).toEqual([2, 1, 1, 0]);
    expect(s.last_inference).toBeGreaterThan(0);
    expect(rec.exchanges).toEqual([{
      model: 'm', version: '1', protocol: 'v2-rest', request, response, error: undefined, startedAt: expect.any(Number), durationMs: expect.any(Number),
    }]);
  });

  it('answers every output, in the runtime order, when the request names none, and passes on the runtime parameters', async () => {
    await oneModel({ execute: (request) => ({ ...rowSums(request), parameters: { sequence_end: true } }) });
    const dp = plane();
    const response = await dp.infer('m', { inputs: [x([5, 6])], outputs: [] }, rest);
    expect(response).toEqual({ modelName: 'm', modelVersion: '1', parameters: { sequence_end: true }, outputs: [floats('sum', 11), floats('first', 5)] });
    expect(Object.keys(response)).toEqual(['modelName', 'modelVersion', 'parameters', 'outputs']);
    expect((await dp.infer('m', { inputs: [x([5, 6])] }, rest)).outputs.map((t) => t.name)).toEqual(['sum', 'first']);
  });

  it('counts one inference for a model without a batch dimension, or a request without inputs', async () => {
    await oneModel({ maxBatchSize: 0 });
    const dp = plane();
    await dp.infer('m', { inputs: [x([1, 1], [2, 2], [3, 3])] }, rest);
    expect(stats(dp).inference_count).toBe(1);
    models.behaviours.set('n', { signature: { inputs: [] } });
    await models.version('n', 1);
    await models.manager.sync();
    await dp.infer('n', { inputs: [] }, rest);
    expect(dp.statistics('n', '1')[0]!.inference_count).toBe(1);
  });

  it('counts the time a request took, in nanoseconds in statistics and seconds in metrics', async () => {
    vi.useFakeTimers({ toFake: ['performance', 'Date'] });
    vi.setSystemTime(1_700_000_000_000);
    await oneModel({
      execute: (request) => {
        vi.advanceTimersByTime(5);
        return rowSums(request);
      },
    });
    const dp = plane();
    vi.advanceTimersByTime(100);
    const start = performance.now();
    await dp.infer('m', { inputs: [x([1, 2])] }, rest);
    const s = stats(dp);
    expect(s.inference_stats.success).toEqual({ count: 1, ns: 5_000_000 });
    expect(s.last_inference).toBe(1_700_000_000_105);
    expect(rec.events[0]!.seconds).toBe(0.005);
    expect(rec.exchanges[0]!.durationMs).toBe(5);
    expect(start).toBe(100);
    expect(rec.exchanges[0]!.startedAt).toBe(performance.timeOrigin + 100);
    await failure(() => dp.infer('m', { inputs: [floats('x', 1)] }, rest));
    expect(stats(dp).inference_stats.fail).toEqual({ count: 1, ns: 0 });
    expect(stats(dp).last_inference).toBe(1_700_000_000_105);
  });

  it('runs the version or label the request names', async () => {
    await models.version('m', 1);
    await models.version('m', 2);
    await models.file('m', 'model.yaml', 'version_policy: all\nlabels: {stable: 1}\n');
    await models.manager.sync();
    const dp = plane();
    expect((await dp.infer('m', { inputs: [x([1, 2])] }, rest)).modelVersion).toBe('2');
    expect((await dp.infer('m', { inputs: [x([1, 2])] }, { protocol: 'v2-rest', version: '1' })).modelVersion).toBe('1');
    expect((await dp.infer('m', { inputs: [x([1, 2])] }, { protocol: 'v2-rest', label: 'stable' })).modelVersion).toBe('1');
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 2])] }, { protocol: 'v2-rest', version: '3' }))).toBe("FERRY_ERR_VERSION_NOT_FOUND 404: model 'm' has no version '3'");
  });

  it('refuses a request that does not fit the signature before it runs, counting it as failed for the version', async () => {
    await oneModel();
    const dp = plane();
    const request: InferRequest = { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(1, 2) }] };
    expect(await failure(() => dp.infer('m', request, rest))).toBe("FERRY_ERR_DATATYPE_MISMATCH 400: input 'x' has datatype INT32, model expects FP32");
    expect(models.enqueued).toEqual([]);
    const s = stats(dp);
    expect([s.inference_count, s.inference_stats.success.count, s.inference_stats.fail.count, s.last_inference]).toEqual([0, 0, 1, 0]);
    expect(rec.events).toEqual([{ model: 'm', version: '1', protocol: 'v2-rest', status: 400, seconds: expect.any(Number) }]);
    expect(rec.exchanges).toEqual([{
      model: 'm', version: '1', protocol: 'v2-rest', request, response: undefined,
      error: { code: 'FERRY_ERR_DATATYPE_MISMATCH', status: 400, message: "input 'x' has datatype INT32, model expects FP32" },
      startedAt: expect.any(Number), durationMs: expect.any(Number),
    }]);
  });

  it("applies the model's max_request_rows: as many rows are taken, one more is refused", async () => {
    await models.version('m', 1);
    await models.file('m', 'model.yaml', 'max_request_rows: 2\n');
    await models.manager.sync();
    const dp = plane();
    expect((await dp.infer('m', { inputs: [x([1, 1], [2, 2])] }, rest)).outputs[0]).toEqual(floats('sum', 2, 4));
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 1], [2, 2], [3, 3])] }, rest))).toBe(
      "FERRY_ERR_BATCH_TOO_LARGE 400: inference request batch-size must be <= 2 for 'm': input 'x' has 3 rows (model.yaml max_request_rows)",
    );
  });

  it('refuses a tensor naming a shared-memory region, and an output the model does not have', async () => {
    await oneModel();
    const dp = plane();
    expect(await failure(() => dp.infer('m', { inputs: [{ ...x([1, 2]), parameters: { shared_memory_region: 'r0' } }] }, rest))).toBe(
      "FERRY_ERR_EXTENSION_UNSUPPORTED 400: shared memory is not supported by Ferry: 'x' names the region 'r0'; tensors travel in the request and response bodies",
    );
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 2])], outputs: [{ name: 'max' }] }, rest))).toBe("FERRY_ERR_OUTPUT_UNKNOWN 400: model 'm' has no output 'max' (outputs: sum, first)");
    expect(models.enqueued).toEqual([]);
  });

  it('converts numeric inputs for a model that computes in floats, so the instance sees its declared datatype', async () => {
    await oneModel({ signature: { numericInputs: 'convert' } });
    const dp = plane();
    const response = await dp.infer('m', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(2, 5) }] }, rest);
    expect(response.outputs[0]).toEqual(floats('sum', 7));
    expect(models.enqueued[0]!.request.inputs[0]).toEqual({ name: 'x', datatype: 'FP32', shape: [1, 2], data: Float32Array.of(2, 5) });
  });

  it("ranks an output into classes named by the model's labels file when the request asks", async () => {
    await oneModel();
    await models.file('m', 'labels.txt', 'cat\ndog\n');
    await models.manager.sync();
    const response = await plane().infer('m', { inputs: [x([1, 2], [3, 4])], outputs: [{ name: 'sum', parameters: { classification: 1 } }] }, rest);
    const [classes] = response.outputs;
    expect(classes!.shape).toEqual([1]);
    expect((classes!.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['7.000000:1:dog']);
  });

  it('hands the deadline, signal and trace to the queue, and notes the model and version in the trace', async () => {
    await oneModel();
    const trace = new RecordedTrace();
    const signal = new AbortController().signal;
    await plane().infer('m', { inputs: [x([1, 2])] }, { protocol: 'v2-grpc', deadline: 1234, signal, trace });
    expect(models.enqueued[0]!.options).toEqual({ deadline: 1234, signal, trace });
    expect(trace.annotations).toEqual([{ 'ferry.model': 'm', 'ferry.model_version': '1' }]);
  });

  it('turns an error the model throws into an execution failure (500) that keeps it as the cause; a catalogue error passes as it is', async () => {
    const thrown = new Error('weights are NaN');
    await oneModel({
      execute: (request) => {
        if (request.inputs[0]!.shape[0] === 2) throw ferryError('FERRY_ERR_CANCELLED');
        throw thrown;
      },
    });
    const dp = plane();
    const error = await dp.infer('m', { inputs: [x([1, 2])] }, rest).catch((e: unknown) => e);
    expect(isFerryError(error) && `${error.code} ${error.http}: ${error.message}`).toBe("FERRY_ERR_EXECUTION_FAILED 500: model 'm' failed to execute: weights are NaN");
    expect((error as Error).cause).toBe(thrown);
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 2], [3, 4])] }, rest))).toBe('FERRY_ERR_CANCELLED 499: request cancelled by the client');
    expect(rec.events.map((e) => e.status)).toEqual([500, 499]);
    expect(stats(dp).inference_stats.fail.count).toBe(2);
  });

  it('fails with an internal error when the model leaves out an output the request names', async () => {
    await oneModel({ execute: (request) => ({ outputs: [rowSums(request).outputs[0]!] }) });
    const dp = plane();
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 2])], outputs: [{ name: 'sum' }, { name: 'first' }] }, rest))).toBe(
      "FERRY_ERR_INTERNAL 500: internal error: runtime did not produce output 'first'",
    );
    expect((await dp.infer('m', { inputs: [x([1, 2])], outputs: [{ name: 'sum' }] }, rest)).outputs).toEqual([floats('sum', 3)]);
  });

  it('refuses with 503 once shutting down, without resolving a version', async () => {
    await oneModel();
    const dp = plane();
    dp.beginShutdown();
    expect(await failure(() => dp.infer('m', { inputs: [x([1, 2])] }, rest))).toBe('FERRY_ERR_SHUTTING_DOWN 503: server is shutting down');
    expect(models.enqueued).toEqual([]);
    expect(stats(dp).inference_stats.fail.count).toBe(0);
    expect(rec.events).toEqual([{ model: 'm', version: '', protocol: 'v2-rest', status: 503, seconds: expect.any(Number) }]);
    expect(rec.exchanges[0]!.version).toBe('');
  });

  it('answers 404 for a model it does not have, counted under one metric label; 400 for a name that cannot be one', async () => {
    await oneModel();
    const dp = plane();
    expect(await failure(() => dp.infer('ghost', { inputs: [] }, rest))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(await failure(() => dp.infer('bad name', { inputs: [] }, rest))).toBe(
      "FERRY_ERR_MODEL_NAME_INVALID 400: invalid model name 'bad name': use 1-128 letters, digits, _ - . starting with a letter or digit",
    );
    expect(rec.events.map((e) => [e.model, e.version, e.status])).toEqual([['_unknown', '', 404], ['_unknown', '', 400]]);
    expect(rec.exchanges.map((e) => [e.model, e.version, e.error?.status])).toEqual([['ghost', '', 404], ['bad name', '', 400]]);
  });

  it('answers 503 for a model whose version failed to load', async () => {
    await models.version('m', 1, 'broken: truncated file');
    await models.manager.sync();
    expect(await failure(() => plane().infer('m', { inputs: [x([1, 2])] }, rest))).toBe(
      "FERRY_ERR_MODEL_NOT_READY 503: model 'm' version '1' is not ready (ERROR: failed to load: cannot read the model: truncated file)",
    );
  });

  it('answers whatever the payload log does, and logs nothing without one', async () => {
    await oneModel();
    const failing = plane({ exchanges: { log: () => { throw new Error('disk full'); } } });
    expect((await failing.infer('m', { inputs: [x([1, 2])] }, rest)).outputs[0]).toEqual(floats('sum', 3));
    expect(await failure(() => failing.infer('m', { inputs: [] }, rest))).toBe("FERRY_ERR_INPUT_MISSING 400: model 'm' requires input 'x'");
    const unlogged = plane({ exchanges: undefined, observer: undefined });
    expect((await unlogged.infer('m', { inputs: [x([1, 2])] }, rest)).outputs[0]).toEqual(floats('sum', 3));
    expect(await failure(() => unlogged.infer('m', { inputs: [] }, rest))).toBe("FERRY_ERR_INPUT_MISSING 400: model 'm' requires input 'x'");
    expect(rec.exchanges).toEqual([]);
    // Only the first data plane, which has an observer, counted its requests.
    expect(rec.events.map((e) => e.status)).toEqual([200, 400]);
  });
});

describe('DataPlane.infer on a graph', () => {
  it('hands the request to the graph, counts it under the graph with no version, and traces it as a graph', async () => {
    await oneModel();
    const dp = plane();
    const graphs = new FakeGraphs({ g: {} });
    dp.setGraphs(graphs);
    const trace = new RecordedTrace();
    const request: InferRequest = { inputs: [x([1, 2])] };
    const ctx: InferContext = { protocol: 'seldon', trace, headers: { 'x-user': 'u1' } };
    const response = await dp.infer('g', request, ctx);
    expect(response).toEqual({ modelName: 'g', modelVersion: '1', outputs: [] });
    expect(graphs.calls).toEqual([{ name: 'g', request, ctx }]);
    expect(trace.annotations).toEqual([{ 'ferry.model': 'g', 'ferry.graph': 'g' }]);
    expect(rec.events).toEqual([{ model: 'g', version: '', protocol: 'seldon', status: 200, seconds: expect.any(Number) }]);
    expect(rec.exchanges).toEqual([{ model: 'g', version: '', protocol: 'seldon', request, response, error: undefined, startedAt: expect.any(Number), durationMs: expect.any(Number) }]);
    // A name the graphs do not have is a model's.
    expect((await dp.infer('m', request, rest)).modelName).toBe('m');
    expect(graphs.calls).toHaveLength(1);
  });

  it("counts a graph's failure with its status; an error that is not a catalogue one is internal (500)", async () => {
    const dp = plane();
    const graphs = new FakeGraphs({ g: {} });
    dp.setGraphs(graphs);
    graphs.fails = ferryError('FERRY_ERR_MODEL_NOT_READY', { model: 'm', version: '1', state: 'LOADING' });
    expect(await failure(() => dp.infer('g', { inputs: [] }, rest))).toBe("FERRY_ERR_MODEL_NOT_READY 503: model 'm' version '1' is not ready (LOADING)");
    graphs.fails = new Error('node crashed');
    expect(await failure(() => dp.infer('g', { inputs: [] }, rest))).toBe('FERRY_ERR_INTERNAL 500: internal error: node crashed');
    expect(rec.events.map((e) => [e.model, e.version, e.status])).toEqual([['g', '', 503], ['g', '', 500]]);
    expect(rec.exchanges.map((e) => [e.model, e.version, e.response, e.error?.code])).toEqual([['g', '', undefined, 'FERRY_ERR_MODEL_NOT_READY'], ['g', '', undefined, 'FERRY_ERR_INTERNAL']]);
  });

  it('refuses with 503 once shutting down, without calling the graph; without graphs set the name is unknown', async () => {
    const dp = plane();
    const graphs = new FakeGraphs({ g: {} });
    dp.setGraphs(graphs);
    dp.beginShutdown();
    expect(await failure(() => dp.infer('g', { inputs: [] }, rest))).toBe('FERRY_ERR_SHUTTING_DOWN 503: server is shutting down');
    expect(graphs.calls).toEqual([]);
    expect(rec.events.map((e) => [e.model, e.status])).toEqual([['g', 503]]);
    const other = plane();
    other.setGraphs(graphs);
    other.setGraphs(undefined);
    expect(await failure(() => other.infer('g', { inputs: [] }, rest))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'g' not found");
  });

  it('passes feedback to the graph, and for a model only checks that it exists', async () => {
    await oneModel();
    const dp = plane();
    const graphs = new FakeGraphs({ g: {} });
    dp.setGraphs(graphs);
    expect(await dp.feedback('g', { reward: 1, requestId: 'r' })).toEqual({ routing: { router: 'arm-a' } });
    expect(graphs.feedbacks).toEqual([{ name: 'g', feedback: { reward: 1, requestId: 'r' } }]);
    expect(await dp.feedback('m', { reward: 0 })).toEqual({ routing: {} });
    expect(await failure(() => dp.feedback('ghost', { reward: 0 }))).toBe("FERRY_ERR_MODEL_NOT_FOUND 404: model 'ghost' not found");
    expect(graphs.feedbacks).toHaveLength(1);
    expect(dp.armIndices('g', { r1: 'a', r2: 'b' })).toEqual({ r1: 1, r2: 2 });
    expect(dp.armIndices('m', { r1: 'a' })).toEqual({});
  });
});
