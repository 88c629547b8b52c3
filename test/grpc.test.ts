// End-to-end tests of the Open Inference Protocol over gRPC: a real server, a grpc-js client generated from
// Ferry's .proto, numbers compared with the numpy references made beside the models. FP16 is in grpc-fp16.test.ts.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  credentials, loadPackageDefinition, type Client, type ClientDuplexStream, type GrpcObject, type ServiceClientConstructor, type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { EXAMPLE_MODELS, REPO_ROOT, startFerry, type RunningFerry } from './helpers/server.ts';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/onnx');
const reference = async (name: string) => JSON.parse(await readFile(path.join(FIXTURES, `${name}.reference.json`), 'utf8'));

interface OutTensor { name: string; datatype: string; shape: string[]; contents: Record<string, unknown[]> | null }
interface InferResponse { model_name: string; model_version: string; id: string; outputs: OutTensor[]; raw_output_contents: Buffer[] }
interface StreamResponse { error_message: string; infer_response: InferResponse | null }
interface Duration { count: string; ns: string }
interface Statistics { name: string; version: string; last_inference: string; inference_stats: { success: Duration; fail: Duration } }

/** Raw little-endian bytes of a typed array, as raw_input_contents carries them. */
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const int32s = (b: Buffer) => Array.from(new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
const float32s = (b: Buffer) => Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
/** BYTES raw layout: a 4-byte little-endian length before each element. */
function rawStrings(values: readonly string[]): Buffer {
  return Buffer.concat(values.flatMap((v) => {
    const bytes = Buffer.from(v, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return [length, bytes];
  }));
}
function parseRawStrings(b: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < b.length;) {
    const length = b.readUInt32LE(offset);
    out.push(b.subarray(offset + 4, offset + 4 + length).toString('utf8'));
    offset += 4 + length;
  }
  return out;
}

/** A repository with the example models and the gRPC fixtures (strings: BYTES, half: FP16). */
/** A ModelStreamInfer stream, the answers it has sent so far, and a promise of its end. */
function openStream() {
  const stream = client.duplex('ModelStreamInfer');
  const answers: StreamResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: StreamResponse) => answers.push(m));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return { stream, answers, done };
}

async function repository(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-grpc-'));
  for (const model of ['simple', 'mlp', 'half_plus_two']) await cp(path.join(EXAMPLE_MODELS, model), path.join(root, model), { recursive: true });
  for (const model of ['strings', 'half']) await cp(path.join(FIXTURES, 'grpc-models', model), path.join(root, model), { recursive: true });
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

let repo: Awaited<ReturnType<typeof repository>>;
let ferry: RunningFerry;
let client: GrpcServiceClient;
let health: GrpcServiceClient;
let address: string;

beforeAll(async () => {
  repo = await repository();
  ferry = await startFerry({ model_repository: repo.root, auth: { allow_loopback_without_token: true } });
  expect(ferry.ports.grpcPort).toBeGreaterThan(0);
  address = `127.0.0.1:${ferry.ports.grpcPort}`;
  client = grpcClient('inference.GRPCInferenceService', address);
  health = grpcClient('grpc.health.v1.Health', address);
});

afterAll(async () => {
  client?.close();
  health?.close();
  await ferry?.stop();
  await repo?.remove();
});

describe('gRPC health and metadata', () => {
  it('answers ServerLive, ServerReady, ServerMetadata and ModelReady', async () => {
    expect(await client.call('ServerLive')).toEqual({ live: true });
    expect(await client.call('ServerReady')).toEqual({ ready: true });
    const meta = await client.call<{ name: string; version: string; extensions: string[] }>('ServerMetadata');
    expect(meta.name).toBe('ferry');
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.extensions).toContain('model_repository');
    expect(await client.call('ModelReady', { name: 'simple' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'simple', version: '1' })).toEqual({ ready: true });
  });

  it('describes a model with ModelMetadata and ModelConfig', async () => {
    const meta = await client.call<Record<string, unknown>>('ModelMetadata', { name: 'simple' });
    expect(meta).toEqual({
      name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: ['-1', '16'] }, { name: 'INPUT1', datatype: 'INT32', shape: ['-1', '16'] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: ['-1', '16'] }, { name: 'OUTPUT1', datatype: 'INT32', shape: ['-1', '16'] }],
    });
    const { config } = await client.call<{ config: Record<string, unknown> }>('ModelConfig', { name: 'strings' });
    expect(config).toMatchObject({ name: 'strings', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 0 });
    expect(config.input).toMatchObject([{ name: 'text', data_type: 'TYPE_STRING', dims: ['-1'] }]);
    expect(config.output).toMatchObject([{ name: 'echo', data_type: 'TYPE_STRING', dims: ['-1'] }]);
  });

  it('serves grpc.health.v1 Check and Watch', async () => {
    expect(await health.call('Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await health.call('Check', { service: 'inference.GRPCInferenceService' })).toEqual({ status: 'SERVING' });
    const unknown = await health.call('Check', { service: 'no.such.Service' }).catch((e: ServiceError) => e);
    expect((unknown as ServiceError).code).toBe(5); // NOT_FOUND, as the health protocol specifies
    const statuses = await new Promise<unknown[]>((resolve, reject) => {
      const seen: unknown[] = [];
      const stream = health.serverStream('Watch', { service: '' });
      stream.on('data', (m: unknown) => {
        seen.push(m);
        stream.cancel();
        resolve(seen);
      });
      stream.on('error', (e: ServiceError) => (e.code === 1 ? resolve(seen) : reject(e)));
    });
    expect(statuses).toEqual([{ status: 'SERVING' }]);
  });

  it('lists its services through server reflection', async () => {
    const definition = loadSync('grpc/reflection/v1alpha/reflection.proto', {
      includeDirs: [path.join(REPO_ROOT, 'node_modules/@grpc/reflection/build/proto')], keepCase: true,
    });
    let node = loadPackageDefinition(definition);
    for (const part of ['grpc', 'reflection', 'v1alpha']) node = node[part] as GrpcObject;
    const Reflection = node['ServerReflection'] as ServiceClientConstructor;
    const reflection = new Reflection(address, credentials.createInsecure()) as unknown as Client & { ServerReflectionInfo(): ClientDuplexStream<object, unknown> };
    const services = await new Promise<string[]>((resolve, reject) => {
      const call = reflection.ServerReflectionInfo();
      call.on('data', (m: { list_services_response?: { service: { name: string }[] } }) => {
        resolve(m.list_services_response!.service.map((s) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    reflection.close();
    expect(services).toEqual(expect.arrayContaining(['inference.GRPCInferenceService', 'grpc.health.v1.Health', 'seldon.protos.Seldon', 'seldon.protos.Model']));
  });
});

describe('gRPC ModelInfer', () => {
  it('computes simple with typed int_contents and answers in raw_output_contents as Triton does (numpy reference, 1 and 3 rows)', async () => {
    for (const c of await reference('simple')) {
      const rows = c.inputs.INPUT0.length;
      const response = await client.call<InferResponse>('ModelInfer', {
        model_name: 'simple', id: `typed-${rows}`,
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [rows, 16], contents: { int_contents: c.inputs[name].flat() } })),
      });
      expect(response).toMatchObject({ model_name: 'simple', model_version: '1', id: `typed-${rows}` });
      expect(response.outputs.map((o) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
      expect(response.raw_output_contents).toHaveLength(2);
      response.outputs.forEach((out, i) => {
        expect(out).toMatchObject({ datatype: 'INT32', shape: [String(rows), '16'], contents: null });
        expect(int32s(response.raw_output_contents[i]!)).toEqual(c.outputs[out.name].flat());
      });
    }
  });

  it('computes simple with raw_input_contents and answers with raw_output_contents', async () => {
    for (const c of await reference('simple')) {
      const rows = c.inputs.INPUT0.length;
      const response = await client.call<InferResponse>('ModelInfer', {
        model_name: 'simple', model_version: '1',
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [rows, 16] })),
        raw_input_contents: ['INPUT0', 'INPUT1'].map((name) => bytesOf(Int32Array.from(c.inputs[name].flat()))),
        outputs: [{ name: 'OUTPUT1' }],
      });
      expect(response.outputs).toHaveLength(1);
      expect(response.outputs[0]).toMatchObject({ name: 'OUTPUT1', datatype: 'INT32', shape: [String(rows), '16'], contents: null });
      expect(response.raw_output_contents).toHaveLength(1);
      expect(int32s(response.raw_output_contents[0]!)).toEqual(c.outputs.OUTPUT1.flat());
    }
  });

  it('computes the MLP with fp32_contents and with raw contents (float32 against numpy float64, 1e-4)', async () => {
    for (const c of await reference('mlp')) {
      const rows = c.inputs.input.length;
      const input = { name: 'input', datatype: 'FP32', shape: [rows, 256] };
      const expected: number[] = c.outputs.logits.flat();
      const typed = await client.call<InferResponse>('ModelInfer', { model_name: 'mlp', inputs: [{ ...input, contents: { fp32_contents: c.inputs.input.flat() } }] });
      const raw = await client.call<InferResponse>('ModelInfer', { model_name: 'mlp', inputs: [input], raw_input_contents: [bytesOf(Float32Array.from(c.inputs.input.flat()))] });
      expect(typed.outputs[0]!.shape).toEqual([String(rows), '10']);
      const typedValues = float32s(typed.raw_output_contents[0]!);
      const rawValues = float32s(raw.raw_output_contents[0]!);
      expect(typedValues).toHaveLength(expected.length);
      expect(rawValues).toEqual(typedValues); // the two conventions carry the same float32 values
      expected.forEach((v, i) => expect(Math.abs(typedValues[i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    }
  });

  it('computes half_plus_two with fp32_contents', async () => {
    const [c] = await reference('half_plus_two');
    const response = await client.call<InferResponse>('ModelInfer', { model_name: 'half_plus_two', inputs: [{ name: 'x', datatype: 'FP32', shape: [3], contents: { fp32_contents: c.inputs.x } }] });
    expect(float32s(response.raw_output_contents[0]!)).toEqual(c.outputs.y);
  });

  it('round-trips BYTES with bytes_contents and with length-prefixed raw contents', async () => {
    const { strings } = await reference('grpc');
    const values: string[] = strings.inputs.text;
    const typed = await client.call<InferResponse>('ModelInfer', {
      model_name: 'strings', inputs: [{ name: 'text', datatype: 'BYTES', shape: [values.length], contents: { bytes_contents: values.map((v) => Buffer.from(v)) } }],
    });
    expect(typed.outputs[0]).toMatchObject({ name: 'echo', datatype: 'BYTES', shape: [String(values.length)] });
    expect(parseRawStrings(typed.raw_output_contents[0]!)).toEqual(strings.outputs.echo);
    const raw = await client.call<InferResponse>('ModelInfer', {
      model_name: 'strings', inputs: [{ name: 'text', datatype: 'BYTES', shape: [values.length] }], raw_input_contents: [rawStrings(values)],
    });
    expect(parseRawStrings(raw.raw_output_contents[0]!)).toEqual(strings.outputs.echo);
  });

  it('refuses FP16 as typed contents: FP16 travels only raw', async () => {
    const error = await client.call('ModelInfer', { model_name: 'half', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] })
      .catch((e: ServiceError) => e) as ServiceError;
    expect(error.code).toBe(3);
    expect(error.details).toContain('raw_input_contents');
  });
});

describe('gRPC ModelStreamInfer', () => {
  it('answers several requests on one stream in order, an error in the middle leaving the stream open', async () => {
    const cases = await reference('simple');
    const { stream, answers, done } = openStream();
    const requests = 6;
    for (let i = 0; i < requests; i++) {
      const c = cases[i % cases.length];
      const rows = c.inputs.INPUT0.length;
      if (i === 3) {
        stream.write({ model_name: 'no_such_model', id: 'req-3', inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }] });
        continue;
      }
      stream.write({
        model_name: 'simple', id: `req-${i}`,
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [rows, 16] })),
        raw_input_contents: ['INPUT0', 'INPUT1'].map((name) => bytesOf(Int32Array.from(c.inputs[name].flat()))),
      });
    }
    stream.end();
    await done;
    expect(answers).toHaveLength(requests);
    answers.forEach((answer, i) => {
      if (i === 3) {
        expect(answer.error_message).toBe("model 'no_such_model' not found");
        expect(answer.infer_response).toMatchObject({ id: 'req-3', model_name: 'no_such_model' });
        return;
      }
      const c = cases[i % cases.length];
      expect(answer.error_message).toBe('');
      expect(answer.infer_response!.id).toBe(`req-${i}`);
      expect(int32s(answer.infer_response!.raw_output_contents[0]!)).toEqual(c.outputs.OUTPUT0.flat());
      expect(int32s(answer.infer_response!.raw_output_contents[1]!)).toEqual(c.outputs.OUTPUT1.flat());
    });
  });
});

describe('gRPC ModelStreamInfer with large messages', () => {
  it('answers large requests (decoded on a decode thread) in order among small ones, and echoes a refused large one', async () => {
    const { stream, answers, done } = openStream();
    const count = 2 ** 19; // 2 MiB of FP32: past the decode threads' 1 MiB
    const x = Float32Array.from({ length: count }, (_, i) => i % 1000);
    const request = (id: string, values: Float32Array, shape = values.length) => ({
      model_name: 'half_plus_two', id, inputs: [{ name: 'x', datatype: 'FP32', shape: [shape] }], raw_input_contents: [bytesOf(values)],
    });
    stream.write(request('small-1', Float32Array.from([2, 4])));
    stream.write(request('large-ok', x));
    stream.write(request('large-refused', x, count + 1));
    stream.write(request('small-2', Float32Array.from([6])));
    stream.end();
    await done;
    expect(answers.map((a) => a.infer_response?.id)).toEqual(['small-1', 'large-ok', 'large-refused', 'small-2']);
    expect(float32s(answers[0]!.infer_response!.raw_output_contents[0]!)).toEqual([3, 4]);
    const y = float32s(answers[1]!.infer_response!.raw_output_contents[0]!);
    expect([answers[1]!.error_message, y.length, y[0], y[999], y[count - 1]]).toEqual(['', count, 2, 501.5, ((count - 1) % 1000) / 2 + 2]);
    expect(answers[2]!.error_message).toContain(`${count + 1}`);
    expect(answers[2]!.infer_response).toMatchObject({ model_name: 'half_plus_two', id: 'large-refused' });
    expect(float32s(answers[3]!.infer_response!.raw_output_contents[0]!)).toEqual([5]);
  });
});

describe('gRPC ModelStreamInfer under load', () => {
  it('answers 600 requests written at once, in order (the stream pauses reading while 128 are in flight)', async () => {
    const stream = client.duplex('ModelStreamInfer');
    const ids: string[] = [];
    let wrong = 0;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: StreamResponse) => {
        ids.push(m.infer_response!.id);
        const sum = int32s(m.infer_response!.raw_output_contents[0]!);
        if (m.error_message !== '' || sum[0] !== 2 * ids.length) wrong += 1;
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 1; i <= 600; i++) {
      const row = Int32Array.from({ length: 16 }, () => i);
      stream.write({
        model_name: 'simple', id: String(i),
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16] })),
        raw_input_contents: [bytesOf(row), bytesOf(row)],
      });
    }
    stream.end();
    await done;
    expect(ids).toEqual(Array.from({ length: 600 }, (_, i) => String(i + 1)));
    expect(wrong).toBe(0);
  });
});

describe('gRPC statistics and repository extensions', () => {
  it('counts inferences in ModelStatistics', async () => {
    const before = await client.call<{ model_stats: Statistics[] }>('ModelStatistics', { name: 'half_plus_two' });
    const count = Number(before.model_stats[0]!.inference_stats.success.count);
    for (let i = 0; i < 3; i++) {
      await client.call('ModelInfer', { model_name: 'half_plus_two', inputs: [{ name: 'x', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] } }] });
    }
    const after = await client.call<{ model_stats: Statistics[] }>('ModelStatistics', { name: 'half_plus_two', version: '1' });
    expect(after.model_stats).toHaveLength(1);
    expect(after.model_stats[0]).toMatchObject({ name: 'half_plus_two', version: '1' });
    expect(Number(after.model_stats[0]!.inference_stats.success.count)).toBe(count + 3);
    expect(Number(after.model_stats[0]!.last_inference)).toBeGreaterThan(Date.now() - 60_000);
    const all = await client.call<{ model_stats: { name: string }[] }>('ModelStatistics', {});
    expect(all.model_stats.map((s) => s.name).sort()).toEqual(['half', 'half_plus_two', 'mlp', 'simple', 'strings']);
  });

  it('indexes the repository, unloads and loads a model', async () => {
    const index = await client.call<{ models: { name: string; version: string; state: string }[] }>('RepositoryIndex', {});
    expect(index.models.map((m) => `${m.name}/${m.version}/${m.state}`).sort()).toEqual([
      'half/1/READY', 'half_plus_two/1/READY', 'mlp/1/READY', 'simple/1/READY', 'strings/1/READY',
    ]);
    expect(await client.call('RepositoryModelUnload', { model_name: 'strings' })).toEqual({});
    expect(await client.call('ModelReady', { name: 'strings' })).toEqual({ ready: false });
    const ready = await client.call<{ models: { name: string }[] }>('RepositoryIndex', { ready: true });
    expect(ready.models.map((m) => m.name)).not.toContain('strings');
    const unloaded = await client.call('ModelInfer', { model_name: 'strings', inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('a')] } }] })
      .catch((e: ServiceError) => e) as ServiceError;
    expect(unloaded.code).toBe(14); // UNAVAILABLE
    expect(unloaded.details).toBe("model 'strings' version '1' is not ready (END: unloaded on request)");
    expect(unloaded.metadata.get('ferry-error-code')).toEqual(['FERRY_ERR_MODEL_NOT_READY']);
    const afterUnload = await client.call<{ models: { name: string; state: string; reason: string }[] }>('RepositoryIndex', {});
    expect(afterUnload.models.find((m) => m.name === 'strings')).toMatchObject({ state: 'END', reason: 'unloaded on request' });
    expect(await client.call('RepositoryModelLoad', { model_name: 'strings' })).toEqual({});
    expect(await client.call('ModelReady', { name: 'strings' })).toEqual({ ready: true });
  });
});
