// INT64 and UINT64 beyond 2^53 are exact on every protocol, in and out, or refused; never rounded. The model is an
// ONNX graph (wide_ints: identity of INT64 and UINT64 tensors, and INT64 + 1) with numpy-made references; values
// such as 2^62 + 1 and 2^64 - 1 travel as JSON integer literals, which a double cannot hold.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcServiceClient } from '../src/protocol/v2-grpc/index.ts';
import { send, startWithModels } from './helpers/protocol-repository.ts';
import { REPO_ROOT, type RunningFerry } from './helpers/server.ts';
import { postV2Binary } from './helpers/v2-binary.ts';

interface WideCase { inputs: { signed: string[]; unsigned: string[] }; outputs: { signed_out: string[]; signed_next: string[]; unsigned_out: string[] } }

let ferry: RunningFerry;
let grpc: GrpcServiceClient;
let c: WideCase;
const url = (p: string) => `${ferry.url}${p}`;

beforeAll(async () => {
  c = JSON.parse(await readFile(path.join(REPO_ROOT, 'test/fixtures/onnx/exact.reference.json'), 'utf8')).wide_ints;
  ferry = await startWithModels({
    wide_ints: { source: { folder: path.join(REPO_ROOT, 'test/fixtures/onnx/exact-models/wide_ints') } },
    half_plus_two: { source: { example: 'half_plus_two' } },
  }, [], { grpc: true });
  grpc = grpcClient('inference.GRPCInferenceService', `127.0.0.1:${ferry.ports.grpcPort}`);
});
afterAll(async () => {
  grpc?.close();
  await ferry?.stop();
});

/** JSON text of a list of decimal strings as integer literals (JSON.stringify cannot write bigints). */
const literals = (values: readonly string[]) => `[${values.join(',')}]`;

/** JSON.parse keeping every integer literal as its decimal text, so the test reads what the server wrote. */
function parseKeepingIntegers(text: string): any {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && /^-?\d+$/.test(context.source) ? context.source : value);
}

/** The first four values of each input: row formats need the same batch size for every input. */
const firstFour = (values: readonly string[]) => values.slice(0, 4);

describe('INT64 2^62+1 and UINT64 2^64-1 on every protocol', () => {
  it('V2 JSON: integer literals in, integer literals out, and the model computed on the exact values', async () => {
    const body = `{"inputs":[{"name":"signed","datatype":"INT64","shape":[${c.inputs.signed.length}],"data":${literals(c.inputs.signed)}},`
      + `{"name":"unsigned","datatype":"UINT64","shape":[${c.inputs.unsigned.length}],"data":${literals(c.inputs.unsigned)}}]}`;
    const r = await send(url('/v2/models/wide_ints/infer'), { body });
    expect(r.status).toBe(200);
    expect(r.text).toContain(`"data":${literals(c.outputs.signed_next)}`);
    const outputs = Object.fromEntries(parseKeepingIntegers(r.text).outputs.map((o: { name: string; data: string[] }) => [o.name, o.data]));
    expect(outputs).toEqual(c.outputs);
  });

  it('V2 JSON: decimal strings are read as exactly as literals', async () => {
    const r = await send(url('/v2/models/wide_ints/infer'), {
      body: JSON.stringify({ inputs: [{ name: 'signed', datatype: 'INT64', shape: [c.inputs.signed.length], data: c.inputs.signed }, { name: 'unsigned', datatype: 'UINT64', shape: [c.inputs.unsigned.length], data: c.inputs.unsigned }] }),
    });
    expect(r.status).toBe(200);
    expect(Object.fromEntries(parseKeepingIntegers(r.text).outputs.map((o: { name: string; data: string[] }) => [o.name, o.data]))).toEqual(c.outputs);
  });

  it('V2 binary extension and gRPC typed contents: raw little-endian 64-bit values, exact both ways', async () => {
    const signed = BigInt64Array.from(c.inputs.signed, BigInt);
    const unsigned = BigUint64Array.from(c.inputs.unsigned, BigInt);
    const binary = await postV2Binary(url('/v2/models/wide_ints/infer'), {
      parameters: { binary_data_output: true },
      inputs: [
        { name: 'signed', datatype: 'INT64', shape: [signed.length], parameters: { binary_data_size: signed.byteLength } },
        { name: 'unsigned', datatype: 'UINT64', shape: [unsigned.length], parameters: { binary_data_size: unsigned.byteLength } },
      ],
    }, [new Uint8Array(signed.buffer), new Uint8Array(unsigned.buffer)]);
    expect(binary.status).toBe(200);
    const read = (b: Buffer, unsignedValues: boolean) => {
      const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      return Array.from(unsignedValues ? new BigUint64Array(copy) : new BigInt64Array(copy), String);
    };
    expect({ signed_out: read(binary.binary.get('signed_out')!, false), signed_next: read(binary.binary.get('signed_next')!, false), unsigned_out: read(binary.binary.get('unsigned_out')!, true) }).toEqual(c.outputs);

    const answer = await grpc.call<{ outputs: { name: string }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
      model_name: 'wide_ints',
      inputs: [
        { name: 'signed', datatype: 'INT64', shape: [signed.length], contents: { int64_contents: c.inputs.signed } },
        { name: 'unsigned', datatype: 'UINT64', shape: [unsigned.length], contents: { uint64_contents: c.inputs.unsigned } },
      ],
    });
    expect(Object.fromEntries(answer.outputs.map((o, i) => [o.name, read(answer.raw_output_contents[i]!, o.name === 'unsigned_out')]))).toEqual(c.outputs);
  });

  it('TF Serving: columnar and row format', async () => {
    const columnar = await send(url('/v1/models/wide_ints:predict'), { body: `{"inputs":{"signed":${literals(c.inputs.signed)},"unsigned":${literals(c.inputs.unsigned)}}}` });
    expect(columnar.status).toBe(200);
    expect(parseKeepingIntegers(columnar.text).outputs).toEqual(c.outputs);
    const rows = firstFour(c.inputs.signed).map((s, i) => `{"signed":${s},"unsigned":${c.inputs.unsigned[i]}}`);
    const row = await send(url('/v1/models/wide_ints:predict'), { body: `{"instances":[${rows.join(',')}]}` });
    expect(row.status).toBe(200);
    expect(parseKeepingIntegers(row.text).predictions).toEqual(firstFour(c.outputs.signed_out).map((s, i) => ({
      signed_out: s, signed_next: c.outputs.signed_next[i], unsigned_out: c.outputs.unsigned_out[i],
    })));
  });

  it('Seldon jsonData and MLflow inputs (JSON) and CSV', async () => {
    const named = `{"signed":${literals(c.inputs.signed)},"unsigned":${literals(c.inputs.unsigned)}}`;
    const seldon = await send(url('/seldon/wide_ints/api/v1.0/predictions'), { body: `{"jsonData":${named},"meta":{"tags":{"trace":9223372036854775807}}}` });
    expect(seldon.status).toBe(200);
    const seldonAnswer = parseKeepingIntegers(seldon.text);
    expect(seldonAnswer.jsonData).toEqual(c.outputs);
    expect(seldonAnswer.meta.tags).toEqual({ trace: '9223372036854775807' }); // tags come back as sent
    const mlflow = await send(url('/mlflow/wide_ints/invocations'), { body: `{"inputs":${named}}` });
    expect(mlflow.status).toBe(200);
    expect(parseKeepingIntegers(mlflow.text).predictions).toEqual(c.outputs);
    const csv = ['signed,unsigned', ...firstFour(c.inputs.signed).map((s, i) => `${s},${c.inputs.unsigned[i]}`)].join('\n');
    const fromCsv = await send(url('/mlflow/wide_ints/invocations'), { body: csv, type: 'text/csv' });
    expect(fromCsv.status).toBe(200);
    expect(parseKeepingIntegers(fromCsv.text).predictions).toEqual(firstFour(c.outputs.signed_out).map((s, i) => ({
      signed_out: s, signed_next: c.outputs.signed_next[i], unsigned_out: c.outputs.unsigned_out[i],
    })));
  });
});

describe('64-bit values that cannot be exact are refused, never rounded', () => {
  const v2 = (signed: string, unsigned = '0') => send(url('/v2/models/wide_ints/infer'), {
    body: `{"inputs":[{"name":"signed","datatype":"INT64","shape":[1],"data":[${signed}]},{"name":"unsigned","datatype":"UINT64","shape":[1],"data":[${unsigned}]}]}`,
  });

  it.each([
    ['2^63 in INT64', '9223372036854775808', '0', /9223372036854775808 is not within the range of INT64/],
    ['-2^63 - 1 in INT64', '-9223372036854775809', '0', /-9223372036854775809 is not within the range of INT64/],
    ['2^64 in UINT64', '0', '18446744073709551616', /18446744073709551616 is not within the range of UINT64/],
    ['-1 in UINT64', '0', '-1', /-1 is not within the range of UINT64/],
    ['an exponent beyond 2^53', '1e19', '0', /10000000000000000000 is not an exact INT64: beyond 2\^53 write an integer literal/],
    ['a fraction beyond 2^53', '4611686018427387905.0', '0', /4611686018427388000 is not an exact INT64/],
    ['a fraction', '1.5', '0', /1.5 is not an integer \(INT64\)/],
  ])('V2: %s', async (_name, signed, unsigned, message) => {
    const r = await v2(signed, unsigned);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(message);
  });

  it('the edges themselves are exact: -2^63, 2^63-1 and 2^64-1', async () => {
    const r = await v2('-9223372036854775808', '18446744073709551615');
    expect(r.status).toBe(200);
    expect(r.text).toContain('"data":[-9223372036854775808]');
    expect(r.text).toContain('"data":[18446744073709551615]');
    const top = await send(url('/v2/models/wide_ints/infer'), {
      body: '{"inputs":[{"name":"signed","datatype":"INT64","shape":[1],"data":[9223372036854775807]},{"name":"unsigned","datatype":"UINT64","shape":[1],"data":[0]}],"outputs":[{"name":"signed_out"}]}',
    });
    expect(top.text).toContain('"data":[9223372036854775807]');
  });

  it('TF Serving, Seldon and MLflow refuse 2^63 in INT64 as V2 does', async () => {
    const tf = await send(url('/v1/models/wide_ints:predict'), { body: '{"inputs":{"signed":[9223372036854775808],"unsigned":[1]}}' });
    const seldon = await send(url('/seldon/wide_ints/api/v1.0/predictions'), { body: '{"jsonData":{"signed":[9223372036854775808],"unsigned":[1]}}' });
    const mlflow = await send(url('/mlflow/wide_ints/invocations'), { body: '{"inputs":{"signed":[9223372036854775808],"unsigned":[1]}}' });
    expect([tf.status, seldon.status, mlflow.status]).toEqual([400, 400, 400]);
    expect(tf.json.error).toMatch(/9223372036854775808 is not within the range of INT64/);
    expect(seldon.json.status.info).toMatch(/9223372036854775808 is not within the range of INT64/);
    expect(mlflow.json.message).toMatch(/9223372036854775808 is not within the range of INT64/);
  });

  it('a request parameter beyond 2^53 is refused as on gRPC, whatever the tensors', async () => {
    const wide = await send(url('/v2/models/wide_ints/infer'), {
      body: '{"parameters":{"seed":9007199254740993},"inputs":[{"name":"signed","datatype":"INT64","shape":[1],"data":[1]},{"name":"unsigned","datatype":"UINT64","shape":[1],"data":[1]}]}',
    });
    const float = await send(url('/v2/models/half_plus_two/infer'), { body: '{"parameters":{"seed":9007199254740993},"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}' });
    for (const r of [wide, float]) {
      expect(r.status).toBe(400);
      expect(r.json.error).toBe("parameter 'seed': integer parameters must lie within ±2^53");
    }
  });

  it('Seldon echoes long integers in meta tags exactly, for any model', async () => {
    const r = await send(url('/seldon/half_plus_two/api/v1.0/predictions'), { body: '{"data":{"ndarray":[1.0]},"meta":{"tags":{"trace":4611686018427387905,"n":[18446744073709551615]}}}' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('"tags":{"trace":4611686018427387905,"n":[18446744073709551615]}');
  });
});
