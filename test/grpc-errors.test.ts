// gRPC error paths: every failure arrives as the catalogue's status code and message, with the FERRY_ERR_* code
// in the `ferry-error-code` trailer; size limits, deadlines and management auth over gRPC.
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferContext } from '../src/dataplane/index.ts';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const LIMIT = 64 * 1024;
const TOKEN = 'grpc-test-token-0123456789';

const CODE = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

let ferry: RunningFerry;
let client: GrpcServiceClient;
let address: string;

beforeAll(async () => {
  ferry = await startFerry({ grpc: { max_message_bytes: LIMIT }, auth: { token: TOKEN } });
  address = `127.0.0.1:${ferry.ports.grpcPort}`;
  client = grpcClient('inference.GRPCInferenceService', address);
});

afterAll(async () => {
  client?.close();
  await ferry?.stop();
});

const failure = (promise: Promise<unknown>) => promise.then(
  () => { throw new Error('expected the call to fail'); },
  (e: ServiceError) => ({ code: e.code, details: e.details, ferry: e.metadata?.get('ferry-error-code')[0] }),
);

/** simple's two INT32 [rows, 16] inputs as raw contents. */
function simpleRaw(rows: number, extra: object = {}) {
  return {
    model_name: 'simple',
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [rows, 16] })),
    raw_input_contents: [Buffer.alloc(rows * 64, 1), Buffer.alloc(rows * 64, 2)],
    ...extra,
  };
}

/** Sends bytes as they are, as a client with a broken or foreign encoder would. */
function sendBytes(method: string, bytes: Buffer): Promise<Buffer> {
  const raw = new Client(address, credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    raw.makeUnaryRequest(`/inference.GRPCInferenceService/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), {}, (error, value) => {
      raw.close();
      if (error) reject(error);
      else resolve(value!);
    });
  });
}

describe('gRPC status codes from the catalogue', () => {
  it('NOT_FOUND for an unknown model or version', async () => {
    expect(await failure(client.call('ModelInfer', simpleRaw(1, { model_name: 'no_such_model' })))).toEqual({
      code: CODE.NOT_FOUND, details: "model 'no_such_model' not found", ferry: 'FERRY_ERR_MODEL_NOT_FOUND',
    });
    expect(await failure(client.call('ModelInfer', simpleRaw(1, { model_version: '7' })))).toEqual({
      code: CODE.NOT_FOUND, details: "model 'simple' has no version '7'", ferry: 'FERRY_ERR_VERSION_NOT_FOUND',
    });
    expect((await failure(client.call('ModelMetadata', { name: 'no_such_model' }))).code).toBe(CODE.NOT_FOUND);
    expect((await failure(client.call('ModelReady', { name: 'no_such_model' }))).code).toBe(CODE.NOT_FOUND);
    expect((await failure(client.call('ModelStatistics', { name: 'no_such_model' }))).code).toBe(CODE.NOT_FOUND);
  });

  it('INVALID_ARGUMENT, with a message that says what is wrong, for each kind of bad input', async () => {
    const typed = (input: object) => ({ model_name: 'half_plus_two', inputs: [{ name: 'x', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] }, ...input }] });
    const cases: [object, string, RegExp][] = [
      [typed({ datatype: 'INT32', contents: { int_contents: [1, 2] } }), 'FERRY_ERR_DATATYPE_MISMATCH', /input 'x' has datatype INT32, model expects FP32/],
      [typed({ datatype: 'FLOAT' }), 'FERRY_ERR_DATATYPE_UNKNOWN', /unknown datatype 'FLOAT'/],
      [typed({ shape: [2, 1] }), 'FERRY_ERR_SHAPE_MISMATCH', /shape \[2,1\], model expects \[-1\]/],
      [typed({ shape: [-2] }), 'FERRY_ERR_SHAPE_INVALID', /invalid shape \[-2\]/],
      [typed({ shape: [3] }), 'FERRY_ERR_TENSOR_DATA', /contents.fp32_contents has 2 elements, the shape needs 3/],
      [typed({ contents: { int_contents: [1, 2] } }), 'FERRY_ERR_TENSOR_DATA', /FP32 data belongs in contents.fp32_contents, not contents.int_contents/],
      [typed({ name: 'y' }), 'FERRY_ERR_INPUT_UNEXPECTED', /has no input 'y'/],
      [{ ...typed({}), outputs: [{ name: 'z' }] }, 'FERRY_ERR_OUTPUT_UNKNOWN', /has no output 'z'/],
      [{ ...typed({}), parameters: { p: {} } }, 'FERRY_ERR_PARAMETER_INVALID', /parameter 'p': no value set/],
      [{ model_name: 'half_plus_two', inputs: [] }, 'FERRY_ERR_INVALID_REQUEST', /inputs must not be empty/],
      [simpleRaw(1, { raw_input_contents: [Buffer.alloc(64)] }), 'FERRY_ERR_INVALID_REQUEST', /raw_input_contents has 1 entries for 2 inputs/],
      [simpleRaw(1, { raw_input_contents: [Buffer.alloc(64), Buffer.alloc(60)] }), 'FERRY_ERR_TENSOR_DATA', /60 bytes of raw data, shape \[1,16\] of INT32 needs 64/],
      [{ model_name: 'simple', inputs: [{ name: 'INPUT0', datatype: 'INT16', shape: [1], contents: { int_contents: [40000] } }] }, 'FERRY_ERR_TENSOR_DATA', /40000 is not within the range of INT16/],
    ];
    for (const [request, code, message] of cases) {
      const result = await failure(client.call('ModelInfer', request));
      expect(result, code).toMatchObject({ code: CODE.INVALID_ARGUMENT, ferry: code });
      expect(result.details).toMatch(message);
    }
  });

  it('INVALID_ARGUMENT for bytes that are not a ModelInferRequest (not grpc-js INTERNAL)', async () => {
    // A raw_input_contents entry (field 7) claiming 10 bytes with 2 left; field 15 with wire type 7 (no such wire type).
    for (const bytes of [[0x3a, 0x0a, 0x01, 0x02], [0x7f, 0x01]]) {
      const error = await sendBytes('ModelInfer', Buffer.from(bytes)).catch((e: ServiceError) => e) as ServiceError;
      expect(error.code).toBe(CODE.INVALID_ARGUMENT);
      expect(error.details).toMatch(/^malformed request body: not a valid ModelInferRequest protobuf message: (index out of range|invalid wire type)/);
    }
  });

  it('UNIMPLEMENTED for Triton methods Ferry does not serve (shared memory)', async () => {
    const raw = new Client(address, credentials.createInsecure());
    const error = await new Promise<ServiceError>((resolve) => {
      raw.makeUnaryRequest('/inference.GRPCInferenceService/SystemSharedMemoryStatus', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e!));
    });
    raw.close();
    expect(error.code).toBe(CODE.UNIMPLEMENTED);
  });
});

describe('gRPC message size limit (grpc.max_message_bytes)', () => {
  it('refuses a request over the limit with RESOURCE_EXHAUSTED naming the setting', async () => {
    const result = await failure(client.call('ModelInfer', simpleRaw(800))); // ~100 KiB
    expect(result).toMatchObject({ code: CODE.RESOURCE_EXHAUSTED, ferry: 'FERRY_ERR_BODY_TOO_LARGE' });
    expect(result.details).toMatch(/^request of 1024\d\d bytes exceeds the limit of 65536 bytes \(setting: grpc.max_message_bytes \/ FERRY_GRPC_MAX_MESSAGE_BYTES\)$/);
  });

  it('past twice the limit, grpc-js refuses the message unread, also with RESOURCE_EXHAUSTED', async () => {
    const result = await failure(client.call('ModelInfer', simpleRaw(1200))); // ~150 KiB
    expect(result.code).toBe(CODE.RESOURCE_EXHAUSTED);
    expect(result.details).toMatch(/^Received message larger than max \(1536\d\d vs 131072\)$/);
  });

  it('refuses a response over the limit with RESOURCE_EXHAUSTED naming the setting', async () => {
    // Typed 0s and 1s take a byte each; the answer's two raw INT32 outputs take 4 bytes per element each:
    // a ~19 KB request makes a ~77 KB response.
    const rows = 600;
    const request = {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [rows, 16], contents: { int_contents: new Array(rows * 16).fill(0) } },
        { name: 'INPUT1', datatype: 'INT32', shape: [rows, 16], contents: { int_contents: new Array(rows * 16).fill(1) } },
      ],
    };
    const result = await failure(client.call('ModelInfer', request));
    expect(result).toMatchObject({ code: CODE.RESOURCE_EXHAUSTED, ferry: 'FERRY_ERR_RESPONSE_TOO_LARGE' });
    expect(result.details).toMatch(/^response of \d+ bytes exceeds the limit of 65536 bytes \(setting: grpc.max_message_bytes/);
  });

  it('answers an over-size request on a stream with error_message and keeps the stream going', async () => {
    const stream = client.duplex('ModelStreamInfer');
    const answers: { error_message: string; infer_response: { id: string } | null }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: (typeof answers)[number]) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(simpleRaw(800, { id: 'big' }));
    stream.write(simpleRaw(2, { id: 'small' }));
    stream.end();
    await ended;
    expect(answers).toHaveLength(2);
    expect(answers[0]!.error_message).toMatch(/exceeds the limit of 65536 bytes \(setting: grpc.max_message_bytes/);
    expect(answers[1]).toMatchObject({ error_message: '', infer_response: { id: 'small' } });
  });
});

describe('gRPC deadlines', () => {
  it('passes the gRPC deadline to the data plane as its deadline', async () => {
    const dataplane = ferry.server.dataplane;
    const original = dataplane.infer;
    const seen: InferContext[] = [];
    dataplane.infer = function (name, request, ctx) {
      seen.push(ctx);
      return original.call(this, name, request, ctx);
    };
    try {
      const deadline = Date.now() + 5000;
      await client.call('ModelInfer', simpleRaw(1), { deadline });
      await client.call('ModelInfer', simpleRaw(1));
      // grpc-timeout travels as a relative time: the server's deadline lands within a few ms of the client's.
      expect(Math.abs(seen[0]!.deadline! - deadline)).toBeLessThan(100);
      expect(seen[0]!.protocol).toBe('v2-grpc');
      expect(seen[1]!.deadline).toBeUndefined();
    } finally {
      dataplane.infer = original;
    }
  });

  it('a request that reaches the data plane after its gRPC deadline is refused there and never runs', async () => {
    // The spy holds the request 60 ms before handing it to the data plane, as a long queue ahead of it would.
    // By then the call's signal has fired too (grpc-js cancels a call at its deadline); the spy notes that and
    // leaves it out, so that what the data plane refuses the request on is the deadline alone.
    const dataplane = ferry.server.dataplane;
    const original = dataplane.infer;
    let outcome!: Promise<unknown>;
    let signalFired = false;
    dataplane.infer = function (name, request, ctx) {
      outcome = new Promise((resolve) => setTimeout(resolve, 60)).then(() => {
        signalFired = ctx.signal?.aborted === true;
        return original.call(this, name, request, { ...ctx, signal: undefined });
      });
      return outcome as ReturnType<typeof original>;
    };
    const rowsRun = async () => Number((await client.call<{ model_stats: { inference_count: string }[] }>('ModelStatistics', { name: 'simple' })).model_stats[0]!.inference_count);
    try {
      const before = await rowsRun();
      const result = await failure(client.call('ModelInfer', simpleRaw(1), { deadline: Date.now() + 20 }));
      expect(result.code).toBe(CODE.DEADLINE_EXCEEDED);
      const error = await outcome.then(() => undefined, (e: { code: string }) => e);
      expect(error).toMatchObject({ code: 'FERRY_ERR_DEADLINE_EXCEEDED' });
      expect(signalFired).toBe(true);
      expect(await rowsRun()).toBe(before);
    } finally {
      dataplane.infer = original;
    }
  });
});

describe('gRPC management auth', () => {
  it('refuses RepositoryModelUnload/Load without the bearer token, accepts them with it', async () => {
    expect(await failure(client.call('RepositoryModelUnload', { model_name: 'half_plus_two' }))).toEqual({
      code: CODE.UNAUTHENTICATED, details: 'this endpoint needs a valid bearer token', ferry: 'FERRY_ERR_UNAUTHORIZED',
    });
    expect((await failure(client.call('RepositoryModelLoad', { model_name: 'half_plus_two' }, { metadata: { authorization: 'Bearer wrong-token-0123456789' } }))).code).toBe(CODE.UNAUTHENTICATED);
    const auth = { metadata: { authorization: `Bearer ${TOKEN}` } };
    expect(await client.call('RepositoryModelUnload', { model_name: 'half_plus_two' }, auth)).toEqual({});
    expect(await client.call('ModelReady', { name: 'half_plus_two' })).toEqual({ ready: false });
    expect(await client.call('RepositoryModelLoad', { model_name: 'half_plus_two' }, auth)).toEqual({});
    expect(await client.call('ModelReady', { name: 'half_plus_two' })).toEqual({ ready: true });
  });
});

describe('gRPC server wiring', () => {
  it('reports NOT_SERVING to health watchers on shutdown, ends their streams and stops promptly', async () => {
    const other = await startFerry({});
    const health = grpcClient('grpc.health.v1.Health', `127.0.0.1:${other.ports.grpcPort}`);
    const statuses: string[] = [];
    const watch = health.serverStream('Watch', { service: '' });
    const ended = new Promise<void>((resolve, reject) => {
      watch.on('data', (m: { status: string }) => statuses.push(m.status));
      watch.on('end', resolve);
      watch.on('error', reject);
    });
    while (statuses.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await other.stop();
    await ended;
    health.close();
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(Date.now() - started).toBeLessThan(5000); // not the 30 s shutdown grace: open watches do not hold it up
  });

  it('does not listen for gRPC when grpc.enabled is false', async () => {
    const off = await startFerry({ grpc: { enabled: false } });
    try {
      expect(off.ports.grpcPort).toBeUndefined();
    } finally {
      await off.stop();
    }
  });
});
